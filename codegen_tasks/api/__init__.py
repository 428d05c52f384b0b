"""The backend API: task payloads, results, the task registry, the client and the schema."""
