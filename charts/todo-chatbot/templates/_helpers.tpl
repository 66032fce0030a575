{{/*
todo-chatbot.name: the chart name, or nameOverride.
Usage: {{ include "todo-chatbot.name" . }}
*/}}
{{- define "todo-chatbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
todo-chatbot.fullname: the prefix of every resource name: fullnameOverride, else "<release>-<name>",
else the release name alone when it already contains the chart name. Cut to 52 characters so that
"<fullname>-postgresql" (and the StatefulSet's pod and PVC names built on it) stay within limits.
Usage: {{ include "todo-chatbot.fullname" . }}
*/}}
{{- define "todo-chatbot.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
todo-chatbot.componentName: "<fullname>-<component>", the name of a component's resources.
Usage: {{ include "todo-chatbot.componentName" (dict "component" "backend" "context" $) }}
*/}}
{{- define "todo-chatbot.componentName" -}}
{{- printf "%s-%s" (include "todo-chatbot.fullname" .context) .component -}}
{{- end -}}

{{/*
todo-chatbot.selectorLabels: the labels a component's Service and workload select on. They never
change after the first install (a Deployment's selector is immutable).
Usage: {{- include "todo-chatbot.selectorLabels" (dict "component" "backend" "context" $) | nindent 6 }}
*/}}
{{- define "todo-chatbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-chatbot.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/*
todo-chatbot.labels: the app.kubernetes.io/* labels of every resource, plus commonLabels.
Usage: {{- include "todo-chatbot.labels" (dict "component" "backend" "context" $) | nindent 4 }}
       ("component" may be omitted for resources shared by the components)
*/}}
{{- define "todo-chatbot.labels" -}}
{{ include "todo-chatbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ include "todo-chatbot.name" .context }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .context.Chart.Name .context.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- with .context.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
todo-chatbot.serviceAccountName: the ServiceAccount every pod runs as.
Usage: serviceAccountName: {{ include "todo-chatbot.serviceAccountName" . }}
*/}}
{{- define "todo-chatbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "todo-chatbot.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
todo-chatbot.image: an image reference (podguard.image: the tag defaults to appVersion).
Usage: image: {{ include "todo-chatbot.image" (dict "image" .Values.backend.image "context" $) }}
*/}}
{{- define "todo-chatbot.image" -}}
{{- include "podguard.image" . | quote -}}
{{- end -}}

{{/*
todo-chatbot.writableDirs.volumeMounts / .volumes: one emptyDir per directory an app writes to,
so that its root filesystem can stay read-only.
Usage:
  volumeMounts: {{- include "todo-chatbot.writableDirs.volumeMounts" .Values.backend.writableDirs | nindent 12 }}
  volumes:      {{- include "todo-chatbot.writableDirs.volumes" .Values.backend.writableDirs | nindent 8 }}
*/}}
{{- define "todo-chatbot.writableDirs.volumeMounts" -}}
{{- $mounts := list -}}
{{- range $i, $dir := . -}}
  {{- $mounts = append $mounts (dict "name" (printf "writable-%d" $i) "mountPath" $dir) -}}
{{- end -}}
{{- toYaml $mounts -}}
{{- end -}}
{{- define "todo-chatbot.writableDirs.volumes" -}}
{{- $volumes := list -}}
{{- range $i, $dir := . -}}
  {{- $volumes = append $volumes (dict "name" (printf "writable-%d" $i) "emptyDir" (dict "sizeLimit" "256Mi")) -}}
{{- end -}}
{{- toYaml $volumes -}}
{{- end -}}

{{/*
todo-chatbot.podAntiAffinity: the component's own affinity, or a soft rule that spreads its
replicas over nodes (soft: a single-node Minikube still schedules them all).
Usage: affinity: {{- include "todo-chatbot.podAntiAffinity" (dict "component" "backend" "affinity" .Values.backend.affinity "context" $) | nindent 8 }}
*/}}
{{- define "todo-chatbot.podAntiAffinity" -}}
{{- if .affinity -}}
{{ toYaml .affinity }}
{{- else -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "todo-chatbot.selectorLabels" . | nindent 12 }}
{{- end -}}
{{- end -}}

{{/*
todo-chatbot.probe: a probe from {enabled, <native fields>}: nothing when enabled is false.
Usage: {{- include "todo-chatbot.probe" (dict "name" "readinessProbe" "probe" .Values.frontend.readinessProbe) | nindent 10 }}
       "handler" (optional) is merged in, e.g. an exec command the chart builds.
*/}}
{{- define "todo-chatbot.probe" -}}
{{- if .probe.enabled -}}
{{- dict .name (merge (deepCopy (.handler | default dict)) (omit .probe "enabled")) | toYaml -}}
{{- end -}}
{{- end -}}

{{/* ------------------------------------------------------------------------------------------ */}}
{{/* Secrets                                                                                    */}}

{{/*
todo-chatbot.secretName: the Secret with DATABASE_URL, OPENAI_API_KEY, ANTHROPIC_API_KEY and
BETTER_AUTH_SECRET: secrets.existingSecret, or the one the chart creates.
Usage: {{ include "todo-chatbot.secretName" . }}
*/}}
{{- define "todo-chatbot.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "todo-chatbot.componentName" (dict "component" "secrets" "context" .)) -}}
{{- end -}}

{{/*
todo-chatbot.secretKeys: the keys of the Secret the chart creates, with the values they come from.
*/}}
{{- define "todo-chatbot.secretKeys" -}}
DATABASE_URL: secrets.databaseUrl
OPENAI_API_KEY: secrets.openaiApiKey
ANTHROPIC_API_KEY: secrets.anthropicApiKey
BETTER_AUTH_SECRET: secrets.betterAuthSecret
{{- end -}}

{{/*
todo-chatbot.secretEnv: env entries that read the given keys from the application Secret. They
are optional: a missing key reaches initcheck, which names it and fails the pod with that message,
instead of the kubelet stopping at CreateContainerConfigError.
Usage: env: {{- include "todo-chatbot.secretEnv" (dict "keys" (list "DATABASE_URL") "context" $) | nindent 12 }}
*/}}
{{- define "todo-chatbot.secretEnv" -}}
{{- $secret := include "todo-chatbot.secretName" .context -}}
{{- $env := list -}}
{{- range .keys -}}
  {{- $env = append $env (dict "name" . "valueFrom" (dict "secretKeyRef" (dict "name" $secret "key" . "optional" true))) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/*
todo-chatbot.postgresql.host / .secretName / .databaseUrl: the in-cluster PostgreSQL.
The URL is built at install time from postgresql.auth (percent-encoded, so any password works).
*/}}
{{- define "todo-chatbot.postgresql.host" -}}
{{- include "todo-chatbot.componentName" (dict "component" "postgresql" "context" .) -}}
{{- end -}}
{{- define "todo-chatbot.postgresql.secretName" -}}
{{- .Values.postgresql.auth.existingSecret | default (include "todo-chatbot.componentName" (dict "component" "postgresql" "context" .)) -}}
{{- end -}}
{{- define "todo-chatbot.postgresql.databaseUrl" -}}
{{- $auth := .Values.postgresql.auth -}}
{{- /* urlquery percent-encodes everything but unreserved characters; it writes a space as "+",
       which a URL's user info reads literally, so "+" (only ever a space here) becomes %20. */ -}}
{{- printf "%s://%s:%s@%s:%d/%s" .Values.postgresql.urlScheme (urlquery $auth.username | replace "+" "%20") (urlquery $auth.password | replace "+" "%20") (include "todo-chatbot.postgresql.host" .) (int .Values.postgresql.service.port) (urlquery $auth.database | replace "+" "%20") -}}
{{- end -}}

{{/*
todo-chatbot.validate: the combinations values.schema.json cannot express. Each fails the install
with the value to set. Called from secret.yaml, which is always rendered.
Usage: {{- include "todo-chatbot.validate" . }}
*/}}
{{- define "todo-chatbot.validate" -}}
{{- $s := .Values.secrets -}}
{{- $pg := .Values.postgresql -}}
{{- $how := "pass it at install time (helm upgrade --install ... --set-file KEY=FILE) or name an existing Secret with secrets.existingSecret" -}}
{{- if and $pg.enabled (not $pg.auth.password) (not $pg.auth.existingSecret) -}}
  {{- fail "todo-chatbot: the in-cluster PostgreSQL has no password: set postgresql.auth.password at install time (--set-file postgresql.auth.password=FILE) or postgresql.auth.existingSecret; or use an external database (postgresql.enabled=false, see values-neon.yaml)" -}}
{{- end -}}
{{- if not $s.existingSecret -}}
  {{- if not $s.databaseUrl -}}
    {{- if not $pg.enabled -}}
      {{- fail (printf "todo-chatbot: no DATABASE_URL: postgresql.enabled is false, so set secrets.databaseUrl (e.g. the Neon connection string): %s" $how) -}}
    {{- else if not $pg.auth.password -}}
      {{- fail "todo-chatbot: no DATABASE_URL: the chart builds it from postgresql.auth.password, which is not given (the password is in postgresql.auth.existingSecret, which the chart cannot read): set secrets.databaseUrl or secrets.existingSecret" -}}
    {{- end -}}
  {{- end -}}
  {{- if and (not $s.openaiApiKey) (not $s.anthropicApiKey) -}}
    {{- fail (printf "todo-chatbot: no AI provider key: set secrets.openaiApiKey or secrets.anthropicApiKey (or both): %s" $how) -}}
  {{- end -}}
  {{- if not $s.betterAuthSecret -}}
    {{- fail (printf "todo-chatbot: no BETTER_AUTH_SECRET: set secrets.betterAuthSecret (generate one: openssl rand -base64 32): %s" $how) -}}
  {{- end -}}
  {{- $known := include "todo-chatbot.secretKeys" . | fromYaml -}}
  {{- range .Values.frontend.secretKeys -}}
    {{- if not (hasKey $known .) -}}
      {{- fail (printf "todo-chatbot: frontend.secretKeys: %s is not a key of the Secret the chart creates (%s); use secrets.existingSecret for other keys" . (keys $known | sortAlpha | join ", ")) -}}
    {{- end -}}
  {{- end -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.frontend.enabled) -}}
  {{- fail "todo-chatbot: ingress.enabled needs frontend.enabled: the Ingress sends / to the frontend" -}}
{{- end -}}
{{- end -}}

{{/*
todo-chatbot.secretChecksum: the checksum/secret annotation's value: a change of a secret value
rolls the pods. With secrets.existingSecret the chart cannot see the values: only the name counts,
and a rotated Secret needs `kubectl rollout restart`.
Usage: checksum/secret: {{ include "todo-chatbot.secretChecksum" . }}
*/}}
{{- define "todo-chatbot.secretChecksum" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret | sha256sum -}}
{{- else -}}
{{- include (print .Template.BasePath "/secret.yaml") . | sha256sum -}}
{{- end -}}
{{- end -}}
