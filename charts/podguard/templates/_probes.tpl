{{/*
podguard.probes: kubelet probes on healthproxy's admin port. The readinessProbe follows
config.readinessGate:
  serving   GET /servingz: 503 until the database has been reached once, while the app is
            unreachable and while draining; a later database outage keeps the pod Ready, so the
            Service keeps its endpoints and clients get healthproxy's 503 + Retry-After +
            {"detail": ...} instead of a refused connection (measured: tests/cluster, scenario 5)
  database  (the library's default, for the app-container use below) GET /readyz: also 503 while the database is down; every replica leaves the Service
            together during an outage and clients see connection refused
/readyz reports the database either way (helm test, monitoring). livenessProbe GET /livez
answers 200 as long as healthproxy's own loop runs (it never looks at the database, so a database
outage never restarts anything). With startup: true it also renders the startupProbe GET /livez.
Usage, in the healthproxy container (podguard.sidecar does this itself):
  {{- include "podguard.probes" (dict "config" .Values.healthproxy "startup" true) | nindent 2 }}
or in an app container of the same pod, to hold that container's readiness on the database too
(the kubelet probes the pod's IP, so the admin port answers from any container; disable
livenessProbe in the config you pass there, an app's liveness is its own business):
  {{- include "podguard.probes" (dict "config" (merge (dict "livenessProbe" (dict "enabled" false)) .Values.healthproxy)) | nindent 10 }}
Params:
  config   ports.admin (default 9901); readinessGate (serving|database, default database; todo-chatbot sets serving); readinessProbe, livenessProbe, startupProbe: {enabled (default
           true), and the native fields: initialDelaySeconds, periodSeconds, timeoutSeconds,
           successThreshold, failureThreshold}
  startup  render the startupProbe as well
*/}}
{{- define "podguard.probes" -}}
{{- $config := .config | default dict -}}
{{- $adminPort := int (dig "ports" "admin" 9901 $config) -}}
{{- $gate := toString ($config.readinessGate | default "database") -}}
{{- if not (has $gate (list "serving" "database")) -}}
  {{- fail (printf "podguard: readinessGate must be serving or database, not %q" $gate) -}}
{{- end -}}
{{- $readyPath := ternary "/servingz" "/readyz" (eq $gate "serving") -}}
{{- $probes := list -}}
{{- range list (list "startupProbe" "/livez" .startup) (list "readinessProbe" $readyPath true) (list "livenessProbe" "/livez" true) -}}
  {{- if index . 2 -}}
    {{- $handler := dict "httpGet" (dict "path" (index . 1) "port" $adminPort) -}}
    {{- with include "podguard.probe" (dict "name" (index . 0) "probe" (get $config (index . 0)) "handler" $handler) -}}
      {{- $probes = append $probes . -}}
    {{- end -}}
  {{- end -}}
{{- end -}}
{{- join "\n" $probes -}}
{{- end -}}

{{/*
podguard.probe: one kubelet probe from {enabled, <native probe fields>}, the charts' one probe
helper (podguard.probes builds on it). A probe without `enabled` is on; `enabled: false` renders
nothing. "handler" (optional) is the probe's handler when the chart fixes it (an httpGet on the
admin port, an exec pg_isready): it wins over a handler in the probe's fields.
Usage:
  {{- with include "podguard.probe" (dict "name" "readinessProbe" "probe" .Values.readinessProbe) }}
  {{- . | nindent 10 }}
  {{- end }}
Params:
  name     the container field: startupProbe, readinessProbe or livenessProbe
  probe    {enabled (default true), and the native fields: httpGet, tcpSocket, exec, grpc,
           initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold, failureThreshold}
  handler  (optional) a handler merged under the probe's fields
*/}}
{{- define "podguard.probe" -}}
{{- $probe := .probe | default dict -}}
{{- if ne (toString $probe.enabled) "false" -}}
{{- dict .name (merge (deepCopy (.handler | default dict)) (omit $probe "enabled")) | toYaml -}}
{{- end -}}
{{- end -}}
