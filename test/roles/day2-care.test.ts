// The parsers behind certificates, doctor and the workstation kubeconfig: kubeadm's
// check-expiration tables, the Pi firmware's throttled bits, the skew policy, the kubeconfig merge.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { expiringWithin, fewestDaysLeft, parseCheckExpiration, parseKubeadmDate } from '../../roles/certificates/expiration.js';
import { hasContext, mergeKubeconfig, serverPort } from '../../roles/workstation/merge.js';
import { parseThrottled } from '../../lib/doctor/throttled.js';
import { parseVersion, skewProblem } from '../../lib/doctor/skew.js';

// As kubeadm 1.34 prints it (Go's tabwriter: padding 3, the last column padded with %-8s).
const CHECK_EXPIRATION = `[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...
[check-expiration] Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it.

CERTIFICATE                  EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED
admin.conf                   Nov 30, 2027 00:05 UTC   364d            ca                      no      
apiserver                    Dec 09, 2026 07:00 UTC   9d              ca                      no      
apiserver-etcd-client        Nov 29, 2026 07:00 UTC   <invalid>       etcd-ca                 no      
!MISSING! super-admin.conf                                                                    

CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED
ca                      Nov 28, 2036 00:05 UTC   9y              no      
front-proxy-ca          Nov 28, 2036 00:05 UTC   9y              yes     
`;
const NOW = new Date(Date.UTC(2026, 10, 30, 7, 0));

test('check-expiration: both tables, dates, days left, missing files, externally managed CAs', () => {
  const rows = parseCheckExpiration(CHECK_EXPIRATION, NOW);
  assert.deepEqual(
    rows.map((r) => [r.name, r.kind, r.daysLeft, r.residual, r.authority, r.missing, r.externallyManaged]),
    [
      ['admin.conf', 'certificate', 364, '364d', 'ca', false, false],
      ['apiserver', 'certificate', 9, '9d', 'ca', false, false],
      ['apiserver-etcd-client', 'certificate', -1, '<invalid>', 'etcd-ca', false, false],
      ['super-admin.conf', 'certificate', undefined, '', undefined, true, false],
      ['ca', 'authority', 3650, '9y', undefined, false, false],
      ['front-proxy-ca', 'authority', 3650, '9y', undefined, false, true],
    ],
  );
  assert.equal(rows[0]!.expires?.toISOString(), '2027-11-30T00:05:00.000Z');
  assert.deepEqual(expiringWithin(rows, 30).map((r) => r.name), ['apiserver-etcd-client', 'apiserver']);
  assert.equal(fewestDaysLeft(rows), -1);
});

test('check-expiration: output without a table is refused; dates are read strictly', () => {
  assert.throws(() => parseCheckExpiration('error execution phase: something\n'), /no certificate table/);
  assert.equal(parseKubeadmDate('Feb 29, 2028 23:59 UTC')?.toISOString(), '2028-02-29T23:59:00.000Z');
  assert.equal(parseKubeadmDate('2027-11-30T00:05:00Z'), undefined);
  assert.equal(parseKubeadmDate('Foo 30, 2027 00:05 UTC'), undefined);
  // Bounded: a flood of rows is cut.
  const flood = `CERTIFICATE   EXPIRES   RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED\n${'x   Nov 30, 2027 00:05 UTC   364d   ca   no\n'.repeat(1000)}`;
  assert.equal(parseCheckExpiration(flood, NOW).length, 64);
});

test('get_throttled: each firmware bit decoded; other output is not a value', () => {
  assert.deepEqual(parseThrottled('throttled=0x0\n'), { value: 0, conditions: [], underVoltage: false });
  const t = parseThrottled('throttled=0x50005');
  assert.deepEqual(t?.conditions, ['under-voltage now', 'throttled now', 'under-voltage has occurred since boot', 'throttling has occurred since boot']);
  assert.equal(t?.underVoltage, true);
  assert.deepEqual(parseThrottled('throttled=0x80008')?.conditions, ['soft temperature limit active now', 'soft temperature limit has occurred since boot']);
  assert.equal(parseThrottled('throttled=0x20002')?.underVoltage, false);
  assert.equal(parseThrottled('error=2 error_msg="Command not registered"'), undefined);
  assert.equal(parseThrottled('throttled=0x50005; rm -rf /'), undefined);
});

test('skew policy: kubelet never newer, three minors older at most; kubectl ±1; kubeadm same or next', () => {
  assert.deepEqual(parseVersion('Kubernetes v1.34.2'), [1, 34, 2]);
  assert.deepEqual(parseVersion('1.33.6-1.1'), [1, 33, 6]);
  assert.equal(skewProblem('kubelet', 'v1.34.2', 'v1.34.1'), undefined);
  assert.equal(skewProblem('kubelet', 'v1.31.0', 'v1.34.2'), undefined);
  assert.match(skewProblem('kubelet', 'v1.34.2', 'v1.33.6')!, /newer than kube-apiserver v1\.33\.6/);
  assert.match(skewProblem('kubelet', 'v1.30.0', 'v1.34.2')!, /three minors older/);
  assert.equal(skewProblem('kubectl', 'v1.33.0', 'v1.34.2'), undefined);
  assert.match(skewProblem('kubectl', 'v1.32.0', 'v1.34.2')!, /one minor/);
  assert.equal(skewProblem('kubeadm', 'v1.35.0', 'v1.34.2'), undefined);
  assert.match(skewProblem('kubeadm', 'v1.33.0', 'v1.34.2')!, /not the minor/);
  assert.equal(skewProblem('kubelet', 'garbage', 'v1.34.2'), undefined);
});

const ADMIN = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://10.0.0.11:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: S0VZCg==
`;
const OTHER = `apiVersion: v1
kind: Config
clusters:
- name: work
  cluster: { server: 'https://work.example:443' }
users:
- name: me
  user: { token: abc }
contexts:
- name: work
  context: { cluster: work, user: me, namespace: dev }
current-context: work
preferences: {}
`;

test('kubeconfig merge: a named context beside the others, which survive; current context kept; idempotent', () => {
  const merged = mergeKubeconfig(OTHER, ADMIN, { name: 'pi', server: 'https://192.168.1.11:6443' });
  const doc = parse(merged);
  assert.deepEqual(doc.contexts.map((c: { name: string }) => c.name), ['work', 'pi']);
  assert.deepEqual(doc.contexts[0], { name: 'work', context: { cluster: 'work', user: 'me', namespace: 'dev' } });
  assert.deepEqual(doc.clusters[1], { name: 'pi', cluster: { 'certificate-authority-data': 'Q0EK', server: 'https://192.168.1.11:6443' } });
  assert.deepEqual(doc.users[1], { name: 'pi-admin', user: { 'client-certificate-data': 'Q0VSVAo=', 'client-key-data': 'S0VZCg==' } });
  assert.equal(doc['current-context'], 'work', "another cluster's current context stays");
  assert.deepEqual(doc.preferences, {});
  assert.equal(mergeKubeconfig(merged, ADMIN, { name: 'pi', server: 'https://192.168.1.11:6443' }), merged, 'a second merge changes no byte');
  assert.ok(hasContext(merged, 'pi'));
  assert.ok(!hasContext(OTHER, 'pi'));
});

test('kubeconfig merge: into nothing (current context set); renewed credentials replace the old; bad files refused', () => {
  const fresh = parse(mergeKubeconfig('', ADMIN, { name: 'pi', server: 'https://pi:6443' }));
  assert.equal(fresh['current-context'], 'pi');
  assert.equal(fresh.kind, 'Config');
  const once = mergeKubeconfig('', ADMIN, { name: 'pi', server: 'https://pi:6443' });
  const renewed = mergeKubeconfig(once, ADMIN.replace('S0VZCg==', 'TkVXS0VZ'), { name: 'pi', server: 'https://pi:6443' });
  assert.equal(parse(renewed).users.length, 1);
  assert.equal(parse(renewed).users[0].user['client-key-data'], 'TkVXS0VZ');
  assert.throws(() => mergeKubeconfig('- a\n- b\n', ADMIN, { name: 'pi', server: 'https://pi:6443' }), /not a kubeconfig/);
  assert.throws(() => mergeKubeconfig('clusters: 3\n', ADMIN, { name: 'pi', server: 'https://pi:6443' }), /clusters is not a list/);
  assert.throws(() => mergeKubeconfig('', 'kind: Config\n', { name: 'pi', server: 'https://pi:6443' }), /no cluster or no user/);
  assert.equal(serverPort(ADMIN), 6443);
});
