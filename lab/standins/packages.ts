// What the stand-in packages are: names, versions per minor, dependencies, files. Shaped like the
// pkgs.k8s.io packages (versions `1.34.2-1.1`), with descriptions that say they are lab stand-ins.

/** Patch versions built per minor: two each, so that pinning (`kubeadm=1.34.1-*`) is exercised. */
export const STANDIN_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  '1.32': ['1.32.9', '1.32.10'],
  '1.33': ['1.33.5', '1.33.6'],
  '1.34': ['1.34.1', '1.34.2'],
};

/** The Debian revision pkgs.k8s.io uses for its builds. */
export const PACKAGE_REVISION = '1.1';

export type StandinPackage = 'kubeadm' | 'kubelet' | 'kubectl';
export const STANDIN_PACKAGES: readonly StandinPackage[] = ['kubeadm', 'kubelet', 'kubectl'];

/**
 * Debian packages the stand-ins depend on. python3, openssl, iproute2, mount and util-linux are in
 * the lab image; the others must be in the lab's Debian repository (lab/repo.ts serves them).
 */
export const STANDIN_DEPENDS: Readonly<Record<StandinPackage, readonly string[]>> = {
  kubeadm: ['python3 (>= 3.9)', 'openssl', 'iproute2'],
  kubelet: ['python3 (>= 3.9)', 'openssl', 'iptables (>= 1.4.21)', 'iproute2', 'util-linux', 'mount', 'ethtool',
    'ebtables', 'conntrack', 'socat'],
  kubectl: ['python3 (>= 3.9)'],
};

export const STANDIN_DESCRIPTIONS: Readonly<Record<StandinPackage, string>> = {
  kubeadm: 'Command-line utility for administering a Kubernetes cluster (steer lab stand-in)',
  kubelet: 'Node agent for Kubernetes clusters (steer lab stand-in)',
  kubectl: 'Command-line utility for interacting with a Kubernetes cluster (steer lab stand-in)',
};

/** Where each package keeps its copy of the stand-in Python code on hosts. */
export function libDir(pkg: StandinPackage): string {
  return `/usr/lib/steer-standin/${pkg}`;
}

/** The /usr/bin entry point of a stand-in (`tool`: another program the package carries, e.g. crictl). */
export function entryScript(pkg: StandinPackage, lib: string = libDir(pkg), tool: string = pkg): string {
  return [
    '#!/usr/bin/python3',
    `# ${tool}: steer lab stand-in (test equipment, not the real Kubernetes ${tool}). See ${lib}/README.`,
    'import sys',
    `sys.path.insert(0, ${JSON.stringify(lib)})`,
    `from standin.${tool} import main`,
    'sys.exit(main(sys.argv[1:]))',
    '',
  ].join('\n');
}

export const KUBELET_UNIT = `[Unit]
Description=kubelet: The Kubernetes Node Agent (steer lab stand-in)
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`;

export const KUBEADM_DROPIN = `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`;

// The kubelet starts at install and crash-loops until kubeadm configures it, like the real package.
export const KUBELET_POSTINST = `#!/bin/sh
set -e
if [ "$1" = "configure" ]; then
  mkdir -p /etc/kubernetes/manifests /var/lib/kubelet
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
    systemctl enable kubelet.service >/dev/null 2>&1 || true
    systemctl restart kubelet.service >/dev/null 2>&1 || true
  fi
fi
exit 0
`;

export const KUBELET_PRERM = `#!/bin/sh
set -e
if [ "$1" = "remove" ] && [ -d /run/systemd/system ]; then
  systemctl stop kubelet.service >/dev/null 2>&1 || true
fi
exit 0
`;

export const KUBELET_POSTRM = `#!/bin/sh
set -e
if [ "$1" = "purge" ] && [ -d /run/systemd/system ]; then
  systemctl disable kubelet.service >/dev/null 2>&1 || true
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
`;

export const README = (pkg: StandinPackage, version: string): string => `This is the steer lab stand-in for ${pkg} ${version}.

It is test equipment: it behaves like the real Kubernetes ${pkg} for what the steer roles use, so
that playbooks can be exercised end to end in the steer lab, where the real packages cannot be
fetched. Everything it prints says "[steer lab stand-in]". It must never be installed outside lab
hosts. See docs/standins.md in the steer repository.
`;
