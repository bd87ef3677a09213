// Audit tests land with imr-audit.
