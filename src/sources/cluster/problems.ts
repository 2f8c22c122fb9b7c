// What the scan could not read, as evidence that is missing rather than as a failure: a refused
// request names the RBAC rule that would allow it (verb, resource, API group, namespace), so the
// operator can add exactly that to deploy/rbac.yaml or the scanner's Role.
import type { ApiProblem } from './retry.js';
import { ruleText, ruleYaml, type Problem, type Rule } from '../../evidence/problem.js';

/** A pod object with fields that could not be read: one sentence (podDefects), the rest of it is used. */
export function malformedPod(sentence: string, object: string, namespace?: string): Problem {
  return {
    kind: 'malformed',
    rule: { verb: 'get', resource: 'pods', group: '', ...(namespace ? { namespace } : {}) },
    object,
    server: '',
    sentence,
  };
}

export function describeProblem(p: ApiProblem, rule: Rule, object: string, consequence: string): Problem {
  if (p.status === 403) {
    return {
      kind: 'forbidden',
      rule,
      object,
      server: p.message,
      sentence: `RBAC forbids ${ruleText(rule)}: ${consequence}. The scan's identity needs the rule ${ruleYaml(rule)}${rule.namespace ? ` in a Role of namespace "${rule.namespace}" or a ClusterRole` : ' in a ClusterRole'} (see deploy/rbac.yaml).`,
    };
  }
  if (p.status === 400 && rule.resource === 'pods/log') {
    return { kind: 'no-log', rule, object, server: p.message, sentence: `${consequence}: ${p.message}.` };
  }
  if (p.status === 404) {
    return {
      kind: 'not-found',
      rule,
      object,
      server: p.message,
      sentence: `${consequence}: ${object} no longer exists (${p.message}).`,
    };
  }
  return {
    kind: 'unavailable',
    rule,
    object,
    server: p.message,
    sentence: `${consequence}: ${ruleText(rule)} failed after retries (${p.status ? `HTTP ${p.status} ` : ''}${p.message}).`,
  };
}
