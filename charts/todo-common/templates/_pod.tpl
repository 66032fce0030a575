{{/*
todo-common.image: a quoted image reference (podguard.image: a digest wins, an empty tag is the
chart's appVersion).
Usage: image: {{ include "todo-common.image" (dict "image" .Values.image "context" $) }}
*/}}
{{- define "todo-common.image" -}}
{{- include "podguard.image" . | quote -}}
{{- end -}}

{{/*
todo-common.imagePullSecrets: the pod's imagePullSecrets: global.imagePullSecrets, then the
chart's own imagePullSecrets. Nothing when both are empty.
Usage: {{- include "todo-common.imagePullSecrets" . | nindent 6 }}
*/}}
{{- define "todo-common.imagePullSecrets" -}}
{{- $secrets := concat (dig "imagePullSecrets" list (.Values.global | default dict)) (.Values.imagePullSecrets | default list) | uniq -}}
{{- with $secrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
todo-common.writableDirs.volumeMounts / .volumes: one emptyDir per directory an app writes to, so
that its root filesystem can stay read-only.
Usage:
  volumeMounts: {{- include "todo-common.writableDirs.volumeMounts" .Values.writableDirs | nindent 12 }}
  volumes:      {{- include "todo-common.writableDirs.volumes" .Values.writableDirs | nindent 8 }}
*/}}
{{- define "todo-common.writableDirs.volumeMounts" -}}
{{- $mounts := list -}}
{{- range $i, $dir := . -}}
  {{- $mounts = append $mounts (dict "name" (printf "writable-%d" $i) "mountPath" $dir) -}}
{{- end -}}
{{- toYaml $mounts -}}
{{- end -}}
{{- define "todo-common.writableDirs.volumes" -}}
{{- $volumes := list -}}
{{- range $i, $dir := . -}}
  {{- $volumes = append $volumes (dict "name" (printf "writable-%d" $i) "emptyDir" (dict "sizeLimit" "256Mi")) -}}
{{- end -}}
{{- toYaml $volumes -}}
{{- end -}}

{{/*
todo-common.affinity: the component's own affinity, or a soft rule that spreads its replicas over
nodes (soft: a single-node Minikube still schedules them all).
Usage: affinity: {{- include "todo-common.affinity" (dict "component" "backend" "affinity" .Values.affinity "context" $) | nindent 8 }}
*/}}
{{- define "todo-common.affinity" -}}
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
            {{- include "todo-common.selectorLabels" . | nindent 12 }}
{{- end -}}
{{- end -}}
