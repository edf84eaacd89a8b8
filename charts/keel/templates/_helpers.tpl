{{/* Common names and labels. */}}
{{- define "keel.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "keel.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: keel
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "keel.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* Address of a service's gRPC port inside the cluster. */}}
{{- define "keel.grpcAddress" -}}
{{- $svc := index .root.Values.services .name -}}
{{- printf "%s-%s:%v" .root.Release.Name .name $svc.grpc.port -}}
{{- end -}}

{{/*
Who talks to whom, as each app's src/config.ts reads it (the chart test keeps the two in step):
  api:   serves an HTTP API to users, authenticated by API keys (KEEL_API_KEYS)
  calls: the gRPC services it calls (POLICY_ADDRESS, RETRIEVAL_ADDRESS)
  httpCalls: the HTTP APIs of other services it calls (EVALUATION_URL: human-review reads an answer's lineage)
  uses:  what it connects to outside the chart: kafka, mongodb, qdrant, and external (embeddings
         and model endpoints)
A service that serves gRPC or calls another needs the internal identity (token and/or mTLS).
*/}}
{{- define "keel.topology" -}}
inference-gateway: { api: true, calls: [policy, retrieval], uses: [kafka, mongodb, external] }
ingestion: { api: true, calls: [policy], uses: [kafka, mongodb, qdrant, external] }
retrieval: { api: false, calls: [], uses: [mongodb, qdrant, external] }
policy: { api: true, calls: [], uses: [kafka, mongodb] }
evaluation: { api: true, calls: [], uses: [kafka, mongodb] }
human-review: { api: true, calls: [], httpCalls: [evaluation], uses: [kafka, mongodb] }
{{- end -}}

{{/* Base URL of a service's HTTP API inside the cluster. */}}
{{- define "keel.httpUrl" -}}
{{- $svc := index .root.Values.services .name -}}
{{- printf "http://%s-%s:%v" .root.Release.Name .name $svc.http.port -}}
{{- end -}}

{{/* One egress rule: TCP (or the given protocols) to `peers` on `ports`; no peers means any address. */}}
{{- define "keel.egressRule" -}}
{{- $protocols := .protocols | default (list "TCP") }}
{{- $ports := list }}
{{- range $port := .ports }}
{{- range $protocol := $protocols }}
{{- $ports = append $ports (dict "protocol" $protocol "port" $port) }}
{{- end }}
{{- end }}
{{- $rule := dict "ports" $ports }}
{{- with .peers }}{{ $_ := set $rule "to" . }}{{ end }}
{{- toYaml (list $rule) }}
{{- end -}}

{{/* The ConfigMap holding the gateway's routing file: the inline one, an existing one, or empty. */}}
{{- define "keel.routingConfigMap" -}}
{{- $routing := .Values.providers.routing | default dict }}
{{- if $routing.existingConfigMap }}{{ $routing.existingConfigMap }}
{{- else if $routing.config }}{{ include "keel.fullname" (dict "root" . "name" "inference-gateway") }}-routing
{{- end }}
{{- end -}}
