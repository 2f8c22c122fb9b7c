// Which lines are commands. Most lines of a log are ruled out by a cheap test (a known command's name
// standing as a word or ending a path) before pipes and words are split: that test must keep every
// form in which a command is written, and rule out a name that is only part of a word.
import { expect, test } from 'vitest';
import { commandOf } from '../../../src/sources/transcripts/lines.js';

const argv = (text: string) => commandOf({ n: 1, text })?.argv;

test('known commands in every written form are still commands', () => {
  expect(argv('kubectl get pods -n shop')).toEqual(['kubectl', 'get', 'pods', '-n', 'shop']);
  expect(argv('  /usr/bin/cat /proc/1/limits')).toEqual(['cat', '/proc/1/limits']);
  expect(argv('sudo cat /etc/security/limits.conf')?.[0]).toBe('cat');
  expect(argv('env FOO=1 ps -eLf')).toBeUndefined(); // "FOO=1" is not a command: as before
  expect(argv('"kubectl" logs web-0')).toEqual(['kubectl', 'logs', 'web-0']);
  expect(argv("'/usr/local/bin/docker' inspect abc")).toEqual(['docker', 'inspect', 'abc']);
  expect(argv('./cluster/kubectl.sh get po')).toEqual(['kubectl', 'get', 'po']);
  expect(argv('cat /proc/1/status|grep Threads')).toEqual(['cat', '/proc/1/status']);
  expect(argv('root@node-1:~# sysctl kernel.pid_max')).toEqual(['sysctl', 'kernel.pid_max']);
  expect(argv('$ myscript --now')).toEqual(['myscript', '--now']);
});

test('a known name inside a word, or in a log line, is not a command', () => {
  expect(argv('FATAL:  password authentication failed for user "app"')).toBeUndefined();
  expect(argv('2024-05-01T00:00:01Z stderr F ps aux')).toBeUndefined();
  expect(argv('processes: see https://docs.example.com/cat')).toBeUndefined();
  expect(argv('concatenate the files')).toBeUndefined();
});
