{{- define "microservice.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: kgen
app.kubernetes.io/name: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.version | quote }}
{{- end }}
{{- define "microservice.selector" -}}
app.kubernetes.io/name: {{ .Release.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
