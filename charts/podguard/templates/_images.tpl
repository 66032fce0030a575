{{/*
podguard.image: an image reference from {repository, tag, digest}. A digest wins over the tag; an
empty tag means the including chart's appVersion (podguard's charts keep it equal to podguard's
version, so the images and the templates that run them match).
Usage:
  image: {{ include "podguard.image" (dict "image" .Values.initcheck.image "context" $) | quote }}
Params:
  image    {repository, tag, digest}; repository is required
  context  the including chart's root context ($), for .Chart.AppVersion
*/}}
{{- define "podguard.image" -}}
{{- $image := .image | default dict -}}
{{- if not $image.repository -}}
{{- fail "podguard.image: image.repository is empty; set it, e.g. repository: podguard/initcheck" -}}
{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (toString ($image.tag | default .context.Chart.AppVersion)) -}}
{{- end -}}
{{- end -}}

{{/*
podguard.imagePullPolicy: the image's pullPolicy, IfNotPresent when unset.
Usage:
  imagePullPolicy: {{ include "podguard.imagePullPolicy" .Values.initcheck.image }}
*/}}
{{- define "podguard.imagePullPolicy" -}}
{{- (. | default dict).pullPolicy | default "IfNotPresent" -}}
{{- end -}}
