{{/* Labels of every object: the kustomize base's two, plus Helm's own. */}}
{{- define "pia.labels" -}}
app.kubernetes.io/name: pod-identity-agent
app.kubernetes.io/part-of: pod-identity-agent
{{ include "pia.helmLabels" . }}
{{- end }}

{{/* Labels only the chart sets (test/charts leaves them out when comparing with kustomize). */}}
{{- define "pia.helmLabels" -}}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* Labels of the webhook's objects. */}}
{{- define "pia.webhookLabels" -}}
app.kubernetes.io/name: pod-identity-webhook
app.kubernetes.io/part-of: pod-identity-agent
{{ include "pia.helmLabels" . }}
{{- end }}

{{/* repository:tag, repository@digest or repository:tag@digest. */}}
{{- define "pia.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- if .Values.image.tag -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- end -}}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end }}

{{/* The cluster ConfigMap's data; its hash names the ConfigMap, so a change rolls the DaemonSet. */}}
{{- define "pia.clusterData" -}}
{{- if .Values.cluster.arn }}
POD_IDENTITY_AGENT_CLUSTER_ARN: {{ .Values.cluster.arn | quote }}
{{- end }}
POD_IDENTITY_AGENT_CLUSTER_NAME: {{ .Values.cluster.name | quote }}
POD_IDENTITY_AGENT_REGION: {{ .Values.cluster.region | quote }}
{{- end }}

{{- define "pia.clusterConfigMap" -}}
pod-identity-agent-cluster-{{ include "pia.clusterData" . | sha256sum | trunc 10 }}
{{- end }}

{{/* True (non-empty) for the STS exchanges, which read the associations file. */}}
{{- define "pia.sts" -}}
{{- if ne .Values.exchange "eks-auth" }}true{{ end -}}
{{- end }}
