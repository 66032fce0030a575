{{/*
todo-chatbot.validate: what only the umbrella can check, seeing every component's values: that
they agree with each other. Each failure says which value to set. (Each component chart checks its
own values, e.g. a missing AI key, and its messages come first.)
Usage: {{- include "todo-chatbot.validate" . }}
*/}}
{{- define "todo-chatbot.validate" -}}
{{- $s := .Values.global.secrets -}}
{{- $pg := .Values.postgresql -}}
{{- $backend := include "todo-chatbot.backendService" . | fromYaml -}}
{{- $svc := .Values.backend.service -}}
{{- if and $svc.name (ne (tpl $svc.name .) $backend.name) -}}
  {{- fail (printf "todo-chatbot: backend.service.name is %q but global.backendService.name is %q: set global.backendService.name (the frontend's BACKEND_URL, the Ingress and helm test follow it) and leave backend.service.name empty" (tpl $svc.name .) $backend.name) -}}
{{- end -}}
{{- if ne (int $svc.port) (int $backend.port) -}}
  {{- fail (printf "todo-chatbot: backend.service.port is %v but global.backendService.port is %v: set both (the frontend's BACKEND_URL uses the global one)" $svc.port $backend.port) -}}
{{- end -}}
{{- $own := .Values.backend.secrets -}}
{{- $byUrl := and (not $s.existingSecret) (not $s.databaseUrl) (not $own.existingSecret) (not $own.databaseUrl) -}}
{{- if $byUrl -}}
  {{- if not $pg.enabled -}}
    {{- fail "todo-chatbot: no DATABASE_URL: postgresql.enabled is false, so set global.secrets.databaseUrl (e.g. the Neon connection string): pass it at install time (--set-file global.secrets.databaseUrl=FILE) or name an existing Secret with global.secrets.existingSecret" -}}
  {{- else if $pg.auth.existingSecret -}}
    {{- fail "todo-chatbot: no DATABASE_URL: the postgresql chart builds it from postgresql.auth.password, which is not given (the password is in postgresql.auth.existingSecret, which the chart cannot read): set global.secrets.databaseUrl or global.secrets.existingSecret" -}}
  {{- end -}}
  {{- $want := include "todo-chatbot.componentName" (dict "component" "postgresql" "context" .) -}}
  {{- $got := tpl (toString .Values.backend.secrets.databaseUrlSecret.name) . -}}
  {{- if ne $got $want -}}
    {{- fail (printf "todo-chatbot: the backend reads DATABASE_URL from the Secret %q, but the postgresql chart names its Secret %q: set backend.secrets.databaseUrlSecret.name to %q" $got $want $want) -}}
  {{- end -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.frontend.enabled) -}}
  {{- fail "todo-chatbot: ingress.enabled needs frontend.enabled: the Ingress sends / to the frontend" -}}
{{- end -}}
{{- end -}}
