{{/*
backend.validate: the combinations values.schema.json cannot express. Each fails the install with
the value to set. Called from secret.yaml, which is always rendered.
Usage: {{- include "backend.validate" . }}
*/}}
{{- define "backend.validate" -}}
{{- $s := include "todo-common.secretValues" . | fromYaml -}}
{{- $how := "pass it at install time (helm upgrade --install ... --set-file KEY=FILE) or name an existing Secret with secrets.existingSecret (in the todo-chatbot chart: global.secrets.*)" -}}
{{- if not $s.existingSecret -}}
  {{- if not (or $s.databaseUrl (dig "databaseUrlSecret" "name" "" .Values.secrets)) -}}
    {{- fail (printf "backend: no DATABASE_URL: set secrets.databaseUrl (e.g. the Neon connection string), or secrets.databaseUrlSecret.name (the postgresql chart's Secret, e.g. postgresql): %s" $how) -}}
  {{- end -}}
  {{- if and (not $s.openaiApiKey) (not $s.anthropicApiKey) -}}
    {{- fail (printf "backend: no AI provider key: set secrets.openaiApiKey or secrets.anthropicApiKey (or both): %s" $how) -}}
  {{- end -}}
  {{- if not $s.betterAuthSecret -}}
    {{- fail (printf "backend: no BETTER_AUTH_SECRET: set secrets.betterAuthSecret (generate one: openssl rand -base64 32): %s" $how) -}}
  {{- end -}}
{{- end -}}
{{- end -}}
