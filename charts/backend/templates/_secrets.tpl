{{/*
backend.secretKeys: the keys of the application Secret the backend reads (all of them; healthproxy
reads only healthproxy.databaseUrlEnv).
Usage: {{- $keys := include "backend.secretKeys" . | fromYamlArray }}
*/}}
{{- define "backend.secretKeys" -}}
{{- keys (include "todo-common.secretKeys" . | fromYaml) | sortAlpha | toYaml -}}
{{- end -}}

{{/*
backend.secretRefs: where DATABASE_URL comes from when it is neither in an existing Secret nor given
as secrets.databaseUrl: {DATABASE_URL: {name, key}} of secrets.databaseUrlSecret (the postgresql
chart's Secret, key database-url). Empty otherwise.
Usage: {{- $refs := include "backend.secretRefs" . | fromYaml }}
*/}}
{{- define "backend.secretRefs" -}}
{{- $s := include "todo-common.secretValues" . | fromYaml -}}
{{- $from := .Values.secrets.databaseUrlSecret | default dict -}}
{{- if and (not $s.existingSecret) (not $s.databaseUrl) $from.name -}}
DATABASE_URL:
  name: {{ tpl $from.name . }}
  key: {{ $from.key | default "database-url" }}
{{- end -}}
{{- end -}}
