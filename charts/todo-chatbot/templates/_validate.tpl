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
{{- /* Distinct names: a component's fullname is cut to 52 characters (a long release name) and may be
     overridden, so two components, or the backend Service and another component's, could collide. */ -}}
{{- $names := dict -}}
{{- $components := list "backend" -}}
{{- if .Values.frontend.enabled }}{{ $components = append $components "frontend" }}{{ end -}}
{{- if .Values.postgresql.enabled }}{{ $components = append $components "postgresql" }}{{ end -}}
{{- range $component := $components -}}
  {{- $name := include "todo-chatbot.componentName" (dict "component" $component "context" $) -}}
  {{- with get $names $name -}}
    {{- fail (printf "todo-chatbot: %s and %s would both be named %q: use a shorter release name (at most 40 characters) or give them different fullnameOverride values" . $component $name) -}}
  {{- end -}}
  {{- $_ := set $names $name $component -}}
{{- end -}}
{{- with get $names $backend.name -}}
  {{- if ne . "backend" -}}
    {{- fail (printf "todo-chatbot: global.backendService.name %q is the %s's name: choose another" $backend.name .) -}}
  {{- end -}}
{{- end -}}
{{- /* The backend signs and the frontend verifies with one BETTER_AUTH_SECRET. Compared only when the
     chart creates both Secrets; the message never shows a value. */ -}}
{{- if .Values.frontend.enabled -}}
  {{- $b := include "todo-common.secretValues" (dict "Values" (dict "secrets" .Values.backend.secrets "global" .Values.global)) | fromYaml -}}
  {{- $f := include "todo-common.secretValues" (dict "Values" (dict "secrets" .Values.frontend.secrets "global" .Values.global)) | fromYaml -}}
  {{- if and (not $b.existingSecret) (not $f.existingSecret) $b.betterAuthSecret $f.betterAuthSecret (ne $b.betterAuthSecret $f.betterAuthSecret) -}}
    {{- fail "todo-chatbot: the backend's and the frontend's BETTER_AUTH_SECRET differ (backend.secrets / frontend.secrets): set it once, in global.secrets.betterAuthSecret" -}}
  {{- end -}}
{{- end -}}
{{- if and .Values.ingress.enabled .Values.ingress.tlsSecretName (not .Values.ingress.host) -}}
  {{- fail "todo-chatbot: ingress.tlsSecretName needs ingress.host: a TLS certificate is for a host name" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.frontend.enabled) -}}
  {{- fail "todo-chatbot: ingress.enabled needs frontend.enabled: the Ingress sends / to the frontend" -}}
{{- end -}}
{{- end -}}
