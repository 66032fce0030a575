{{/*
podguard.probes: kubelet probes on healthproxy's admin port. readinessProbe GET /readyz answers 503
while the database or the app is unreachable and while healthproxy drains; livenessProbe GET /livez
answers 200 as long as healthproxy's own loop runs (it never looks at the database, so a database
outage never restarts anything). With startup: true it also renders the startupProbe GET /livez.
Usage, in the healthproxy container (podguard.sidecar does this itself):
  {{- include "podguard.probes" (dict "config" .Values.healthproxy "startup" true) | nindent 2 }}
or in an app container of the same pod, to hold that container's readiness on the database too
(the kubelet probes the pod's IP, so the admin port answers from any container; disable
livenessProbe in the config you pass there, an app's liveness is its own business):
  {{- include "podguard.probes" (dict "config" (merge (dict "livenessProbe" (dict "enabled" false)) .Values.healthproxy)) | nindent 10 }}
Params:
  config   ports.admin (default 9901); readinessProbe, livenessProbe, startupProbe: {enabled (default
           true), and the native fields: initialDelaySeconds, periodSeconds, timeoutSeconds,
           successThreshold, failureThreshold}
  startup  render the startupProbe as well
*/}}
{{- define "podguard.probes" -}}
{{- $config := .config | default dict -}}
{{- $adminPort := int (dig "ports" "admin" 9901 $config) -}}
{{- $probes := dict -}}
{{- range list (list "startupProbe" "/livez" .startup) (list "readinessProbe" "/readyz" true) (list "livenessProbe" "/livez" true) -}}
  {{- $field := index . 0 -}}
  {{- $probe := get $config $field | default dict -}}
  {{- if and (index . 2) (ne (toString $probe.enabled) "false") -}}
    {{- $handler := dict "httpGet" (dict "path" (index . 1) "port" $adminPort) -}}
    {{- $_ := set $probes $field (merge $handler (omit $probe "enabled")) -}}
  {{- end -}}
{{- end -}}
{{- with $probes -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}
