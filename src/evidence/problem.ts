// What the scan could not read, as evidence that is missing rather than as a failure: a refused
// request names the RBAC rule that would allow it (verb, resource, API group, namespace), so the
// operator can add exactly that to deploy/rbac.yaml or the scanner's Role. The shape lives here so
// that sources produce it and diagnosis and reports read it without importing each other.
export interface Rule {
  verb: 'get' | 'list';
  /** Resource as RBAC names it: pods, pods/log, events, nodes, replicasets... */
  resource: string;
  /** API group: "" for core, apps, batch. */
  group: string;
  /** undefined: cluster scope. */
  namespace?: string;
}

export interface Problem {
  /** malformed: the object was read but some of its fields could not be (they were ignored). */
  kind: 'forbidden' | 'not-found' | 'no-log' | 'unavailable' | 'malformed';
  rule: Rule;
  /** The object the request was for (ns/pod/container or node name). */
  object: string;
  /** One sentence for the report. */
  sentence: string;
  /** The server's own message. */
  server: string;
}

export function ruleText(r: Rule): string {
  const where = r.namespace ? `in namespace "${r.namespace}"` : 'at cluster scope';
  return `${r.verb} ${r.resource}${r.group ? `.${r.group}` : ''} ${where}`;
}

/** The RBAC rule as a Role/ClusterRole entry, for the operator to paste. */
export function ruleYaml(r: Rule): string {
  return `{apiGroups: ["${r.group}"], resources: ["${r.resource}"], verbs: ["${r.verb}"]}`;
}
