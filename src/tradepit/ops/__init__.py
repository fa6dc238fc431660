"""Operations: logging set-up, Prometheus metrics, health. Nothing here is imported by the
domain; the CLI and the composition root wire it in."""
