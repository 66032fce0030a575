{{/*
frontend.backendUrl: BACKEND_URL, the backend's URL for the Next.js server's own calls: backendUrl,
else http://<global.backendService.name>:<global.backendService.port>. The name is a template: the
umbrella chart gives "{{ .Release.Name }}-backend", or the name set for the backend Service.
Usage: {{ include "frontend.backendUrl" . }}
*/}}
{{- define "frontend.backendUrl" -}}
{{- if .Values.backendUrl -}}
{{- .Values.backendUrl -}}
{{- else -}}
{{- $svc := dig "backendService" dict (.Values.global | default dict) -}}
{{- $name := tpl (toString ($svc.name | default "")) . -}}
{{- if not $name -}}
  {{- fail "frontend: no BACKEND_URL: set backendUrl (e.g. http://backend:8000) or global.backendService.name" -}}
{{- end -}}
{{- printf "http://%s:%v" $name ($svc.port | default 8000) -}}
{{- end -}}
{{- end -}}
