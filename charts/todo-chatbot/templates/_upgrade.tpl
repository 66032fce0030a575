{{/*
todo-chatbot.movedValues: the top-level values of chart 0.1.x that moved in 0.2.0 (the component
charts see only their own key and global), with where each went. README.md, "Upgrade notes", lists
the same; values.schema.json rejects them with the same words.
*/}}
{{- define "todo-chatbot.movedValues" -}}
initcheck: backend.initcheck and frontend.initcheck
healthproxy: backend.healthproxy
secrets: global.secrets
serviceAccount: backend.serviceAccount, frontend.serviceAccount and postgresql.serviceAccount
networkPolicy: backend.networkPolicy, frontend.networkPolicy and postgresql.networkPolicy
tests: backend.tests, frontend.tests and postgresql.tests
commonLabels: global.commonLabels
imagePullSecrets: global.imagePullSecrets
nameOverride: backend.nameOverride, frontend.nameOverride and postgresql.nameOverride
fullnameOverride: backend.fullnameOverride, frontend.fullnameOverride and postgresql.fullnameOverride
{{- end -}}

{{/*
todo-chatbot.checkMovedValues: fails when a values file of chart 0.1.x sets a value that moved, so
that it never installs with its settings silently ignored.
Usage: {{- include "todo-chatbot.checkMovedValues" . }}
*/}}
{{- define "todo-chatbot.checkMovedValues" -}}
{{- range $old, $new := include "todo-chatbot.movedValues" . | fromYaml -}}
  {{- if hasKey $.Values $old -}}
    {{- fail (printf "values: `%s` moved to `%s` in chart 0.2.0; see README, Upgrade notes" $old $new) -}}
  {{- end -}}
{{- end -}}
{{- end -}}
