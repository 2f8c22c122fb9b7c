// RBAC as the apiserver applies it to a request: the request's attributes (verb, API group,
// resource/subresource) from its method, path and query, as k8s.io/apiserver's RequestInfoFactory
// derives them, and whether a ClusterRole's rules allow them. A stand-in's recorded requests of the
// agent can be checked with `unauthorized(rules, standin.requests)`.

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface Attributes {
  verb: string;
  group: string;
  resource: string;
}

export function attributes(r: ApiRequest): Attributes {
  const m =
    /^\/(?:api\/v1|apis\/([a-z0-9.-]+)\/[a-z0-9]+)\/(?:namespaces\/[^/]+\/)?([a-z]+)(?:\/([^/]+)(?:\/([a-z]+))?)?$/.exec(
      r.path,
    );
  if (!m) throw new Error(`not a resource request: ${r.method} ${r.path}`);
  const [, group = '', resource, name, sub] = m;
  const watching = r.query.watch === 'true' || r.query.watch === '1';
  const verbs: Record<string, string> = {
    GET: name ? 'get' : watching ? 'watch' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name ? 'delete' : 'deletecollection',
  };
  const verb = verbs[r.method.toUpperCase()];
  if (!verb) throw new Error(`no RBAC verb for method ${r.method}`);
  return { verb, group, resource: sub ? `${resource}/${sub}` : resource! };
}

export function allows(rules: RbacRule[], a: Attributes): boolean {
  return rules.some(
    (rule) =>
      (rule.apiGroups.includes(a.group) || rule.apiGroups.includes('*')) &&
      (rule.resources.includes(a.resource) || rule.resources.includes('*')) &&
      (rule.verbs.includes(a.verb) || rule.verbs.includes('*')),
  );
}

/** The requests the rules do not allow, as "verb group/resource (METHOD path)". */
export function unauthorized(rules: RbacRule[], requests: ApiRequest[]): string[] {
  return requests
    .map((r) => ({ r, a: attributes(r) }))
    .filter(({ a }) => !allows(rules, a))
    .map(({ r, a }) => `${a.verb} ${a.group || 'core'}/${a.resource} (${r.method} ${r.path})`);
}
