{{/*
backend.serviceName: the backend Service's name: service.name, else global.backendService.name (a
template: the umbrella chart sets "{{ .Release.Name }}-backend", and its frontend and Ingress use
the same value), else the fullname.
Usage: {{ include "backend.serviceName" . }}
*/}}
{{- define "backend.serviceName" -}}
{{- $global := dig "backendService" "name" "" (.Values.global | default dict) -}}
{{- $name := .Values.service.name | default (tpl $global .) | default (include "todo-common.fullname" .) -}}
{{- /* A Service's name is an RFC 1035 label (Kubernetes: DNS-1035, at most 63 characters). */ -}}
{{- if or (gt (len $name) 63) (not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name)) -}}
  {{- fail (printf "backend: the Service name %q is not a DNS-1035 label (lower-case letters, digits and '-', starting with a letter, at most 63 characters): see service.name / global.backendService.name" $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}
