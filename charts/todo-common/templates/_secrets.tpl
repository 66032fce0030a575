{{/*
todo-common.secretKeys: the application Secret's keys (the variable names the apps read), each with
the field of `secrets` (or `global.secrets`) its value comes from. The one list: the Secrets the
charts create, the env entries that read them and the validations all derive from it.
Usage: {{- $keys := include "todo-common.secretKeys" . | fromYaml }}
*/}}
{{- define "todo-common.secretKeys" -}}
DATABASE_URL: databaseUrl
OPENAI_API_KEY: openaiApiKey
ANTHROPIC_API_KEY: anthropicApiKey
BETTER_AUTH_SECRET: betterAuthSecret
{{- end -}}

{{/*
todo-common.secretValues: the chart's secret values, field by field: `secrets.<field>`, else
`global.secrets.<field>` (the umbrella chart gives every component the same ones that way).
Fields: existingSecret and those of todo-common.secretKeys.
Usage: {{- $s := include "todo-common.secretValues" . | fromYaml }}
*/}}
{{- define "todo-common.secretValues" -}}
{{- $own := .Values.secrets | default dict -}}
{{- $global := dig "secrets" dict (.Values.global | default dict) -}}
{{- $values := dict -}}
{{- range $field := prepend (values (include "todo-common.secretKeys" . | fromYaml)) "existingSecret" -}}
  {{- $_ := set $values $field (toString (get $own $field | default (get $global $field) | default "")) -}}
{{- end -}}
{{- toYaml $values -}}
{{- end -}}

{{/*
todo-common.secretName: the Secret the chart's pods read: secrets.existingSecret (or
global.secrets.existingSecret), else the one the chart creates ("<fullname>").
Usage: {{ include "todo-common.secretName" . }}
*/}}
{{- define "todo-common.secretName" -}}
{{- (include "todo-common.secretValues" . | fromYaml).existingSecret | default (include "todo-common.fullname" .) -}}
{{- end -}}

{{/*
todo-common.checkSecretKeys: fails unless every key given is one of todo-common.secretKeys (the only
keys a Secret the chart creates can hold). With an existing Secret any key goes.
Usage: {{- include "todo-common.checkSecretKeys" (dict "keys" .Values.secretKeys "value" "secretKeys" "context" $) }}
*/}}
{{- define "todo-common.checkSecretKeys" -}}
{{- if not (include "todo-common.secretValues" .context | fromYaml).existingSecret -}}
{{- $known := include "todo-common.secretKeys" .context | fromYaml -}}
{{- range .keys -}}
  {{- if not (hasKey $known .) -}}
    {{- fail (printf "%s: %s: %s is not a key of the Secret the chart creates (%s); use secrets.existingSecret for other keys" $.context.Chart.Name $.value . (keys $known | sortAlpha | join ", ")) -}}
  {{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
todo-common.secret: the chart's Secret, holding only the keys its pods read (least privilege) that
have a value; nothing when an existing Secret is named. Values come from the install command
(values.yaml leaves them empty); a key without a value is left out, and initcheck names it.
Usage: {{- include "todo-common.secret" (dict "keys" (list "BETTER_AUTH_SECRET") "context" $) }}
*/}}
{{- define "todo-common.secret" -}}
{{- $s := include "todo-common.secretValues" .context | fromYaml -}}
{{- if not $s.existingSecret -}}
{{- $fields := include "todo-common.secretKeys" .context | fromYaml -}}
{{- $data := dict -}}
{{- range $key := .keys -}}
  {{- with get $s (get $fields $key) -}}
    {{- $_ := set $data $key . -}}
  {{- end -}}
{{- end -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "todo-common.secretName" .context }}
  labels:
    {{- include "todo-common.labels" (dict "context" .context) | nindent 4 }}
type: Opaque
{{- if $data }}
data:
  {{- range $key, $value := $data }}
  {{ $key }}: {{ $value | b64enc | quote }}
  {{- end }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
todo-common.secretEnv: env entries that read the given keys from the chart's Secret, or from the
Secret that "refs" names for a key ({KEY: {name, key}}: DATABASE_URL from the postgresql chart's
Secret). They are optional: a missing key reaches initcheck, which names it and fails the pod,
instead of the kubelet stopping at CreateContainerConfigError.
Usage: env: {{- include "todo-common.secretEnv" (dict "keys" (list "DATABASE_URL") "context" $) | nindent 12 }}
*/}}
{{- define "todo-common.secretEnv" -}}
{{- $secret := include "todo-common.secretName" .context -}}
{{- $refs := .refs | default dict -}}
{{- $env := list -}}
{{- range .keys -}}
  {{- $ref := get $refs . | default (dict "name" $secret "key" .) -}}
  {{- $env = append $env (dict "name" . "valueFrom" (dict "secretKeyRef" (dict "name" $ref.name "key" $ref.key "optional" true))) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/*
todo-common.secretChecksum: the checksum/secret annotation's value, so that a changed secret value
rolls the pods: the Secret the chart renders, and the names of the Secrets the pods read. With an
existing Secret the chart cannot see the values: only its name counts, and a rotated Secret needs
`kubectl rollout restart`.
Usage: checksum/secret: {{ include "todo-common.secretChecksum" (dict "keys" $keys "refs" $refs "context" $) }}
*/}}
{{- define "todo-common.secretChecksum" -}}
{{- list (include "todo-common.secret" .) (include "todo-common.secretName" .context) (.refs | default dict) | toJson | sha256sum -}}
{{- end -}}

{{/*
todo-common.checkConfig: fails when `config` (rendered into a ConfigMap, readable in plain text by
anyone who may read ConfigMaps) names a key of todo-common.secretKeys: a secret goes in `secrets`.
Usage: {{- include "todo-common.checkConfig" . }}
*/}}
{{- define "todo-common.checkConfig" -}}
{{- $known := include "todo-common.secretKeys" . | fromYaml -}}
{{- range $key, $_ := .Values.config -}}
  {{- if hasKey $known $key -}}
    {{- fail (printf "%s: config.%s would put a secret into a ConfigMap in plain text: set secrets.%s (or global.secrets.%s) instead" $.Chart.Name $key (get $known $key) (get $known $key)) -}}
  {{- end -}}
{{- end -}}
{{- end -}}
