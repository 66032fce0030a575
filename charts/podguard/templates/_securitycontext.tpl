{{/*
podguard.securityContext: a container securityContext that meets the "restricted" Pod Security
Standard: non-root, no privilege escalation, every capability dropped, the runtime's default
seccomp profile, and a read-only root filesystem unless the caller says otherwise.
Usage:
  securityContext:
    {{- include "podguard.securityContext" (dict "runAsUser" 65532 "runAsGroup" 65532) | nindent 4 }}
Params (all optional):
  runAsUser, runAsGroup   numeric ids. Omitted: the image's USER, which must then be numeric and
                          non-zero or the kubelet refuses to start the container (runAsNonRoot).
  readOnlyRootFilesystem  true unless given as false; mount an emptyDir where the app must write.
*/}}
{{- define "podguard.securityContext" -}}
runAsNonRoot: true
{{- with .runAsUser }}
runAsUser: {{ int64 . }}
{{- end }}
{{- with .runAsGroup }}
runAsGroup: {{ int64 . }}
{{- end }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ ne (toString .readOnlyRootFilesystem) "false" }}
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
podguard.podSecurityContext: the pod-level half of the restricted profile. Containers that the
podguard templates render set their own user (65532) on top of it.
Usage:
  securityContext:
    {{- include "podguard.podSecurityContext" (dict "runAsUser" 1000 "fsGroup" 1000) | nindent 8 }}
Params (all optional): runAsUser, runAsGroup, fsGroup (with fsGroupChangePolicy OnRootMismatch, so
a large volume is not re-chowned at every start).
*/}}
{{- define "podguard.podSecurityContext" -}}
runAsNonRoot: true
{{- with .runAsUser }}
runAsUser: {{ int64 . }}
{{- end }}
{{- with .runAsGroup }}
runAsGroup: {{ int64 . }}
{{- end }}
{{- with .fsGroup }}
fsGroup: {{ int64 . }}
fsGroupChangePolicy: OnRootMismatch
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}
