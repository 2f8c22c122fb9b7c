// Where a line "starts" for patterns that must anchor (Go's "panic: ", "goroutine N [...]:", a bare
// "MemoryError"): after the prefixes that tools put in front of a container's own output.
//   - kubectl logs --timestamps: "2024-05-01T10:00:00.123456789Z " (RFC 3339, nanoseconds)
//   - docker compose logs: "postgresql_1  | " (service name, padding, bar)
// CRI and Docker json-file framing are already removed by the scanner. Both prefixes are optional
// and bounded, so anchored patterns stay linear.
export const LINE_START = String.raw`^(?:[\w.-]{1,64} {1,20}\| )?(?:\d{4}-\d\d-\d\dT[\d:.]{1,30}(?:Z|[+-]\d\d:\d\d) )?`;

/** An anchored pattern that tolerates the prefixes above. */
export function atLineStart(body: string, flags = ''): RegExp {
  return new RegExp(LINE_START + body, flags);
}
