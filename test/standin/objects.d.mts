/* eslint-disable @typescript-eslint/no-explicit-any */
export function pod(o: any): any;
export function node(name: string, o?: any): any;
export function event(p: any, o: any): any;
export function owner(kind: string, ns: string, name: string, parent?: { kind: string; name: string }): any;
