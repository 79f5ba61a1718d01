"""Checks the rendered Kubernetes manifests (path in argv[1]; argv[2]
"with-redis" for the overlay that shares the quota through Redis)."""

import sys
import unittest

import yaml

RENDERED = sys.argv.pop(1)
WITH_REDIS = len(sys.argv) > 1 and sys.argv.pop(1) == "with-redis"


def load():
    with open(RENDERED) as f:
        return {d["kind"]: d for d in yaml.safe_load_all(f) if d}


def duration_seconds(value):
    """Seconds in an absl duration flag value such as "25s" or "1m30s"."""
    units = {"h": 3600, "m": 60, "s": 1}
    total, number = 0.0, ""
    for c in value:
        if c.isdigit() or c == ".":
            number += c
        else:
            total += float(number) * units[c]
            number = ""
    if number:
        raise ValueError(f"duration {value!r} lacks a unit")
    return total


class ManifestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = load()
        cls.pod = cls.docs["Deployment"]["spec"]["template"]["spec"]
        cls.container = cls.pod["containers"][0]
        cls.args = cls.container["args"]

    def flag(self, name):
        for arg in self.args:
            if arg.startswith(f"--{name}="):
                return arg.split("=", 1)[1]
        self.fail(f"--{name} is not set")

    def test_every_kind_is_there(self):
        for kind in ("Namespace", "ServiceAccount", "Deployment", "Service",
                     "HorizontalPodAutoscaler", "PodDisruptionBudget",
                     "NetworkPolicy"):
            self.assertIn(kind, self.docs)

    def test_restricted_pod_security_standard(self):
        ns = self.docs["Namespace"]["metadata"]["labels"]
        self.assertEqual(ns["pod-security.kubernetes.io/enforce"], "restricted")
        pod_sc = self.pod["securityContext"]
        self.assertTrue(pod_sc["runAsNonRoot"])
        self.assertNotEqual(pod_sc.get("runAsUser"), 0)
        self.assertEqual(pod_sc["seccompProfile"]["type"], "RuntimeDefault")
        for c in self.pod["containers"]:
            sc = c["securityContext"]
            self.assertFalse(sc["allowPrivilegeEscalation"])
            self.assertTrue(sc["readOnlyRootFilesystem"])
            self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
            self.assertNotIn("add", sc["capabilities"])
            self.assertFalse(sc.get("privileged", False))
        self.assertFalse(self.pod.get("hostNetwork", False))
        self.assertFalse(self.pod["automountServiceAccountToken"])
        for v in self.pod.get("volumes", []):
            self.assertNotIn("hostPath", v)

    def test_native_grpc_probes_on_the_health_port(self):
        health_port = int(self.flag("health_listen_address").rsplit(":", 1)[1])
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            self.assertEqual(self.container[probe]["grpc"]["port"], health_port)

    def test_resources_are_bounded(self):
        res = self.container["resources"]
        for kind in ("requests", "limits"):
            self.assertIn("cpu", res[kind])
            self.assertIn("memory", res[kind])

    def test_drain_fits_in_the_grace_period(self):
        # The kubelet's clock starts with preStop; SIGTERM follows it, and the
        # server drains for at most --shutdown_grace: when the grace ends it
        # aborts the requests to Clerk still in flight (so
        # --clerk_request_timeout does not extend the drain), logs and exits.
        # At least EXIT_MARGIN_S must remain for that last step.
        EXIT_MARGIN_S = 5
        pre_stop = self.container["lifecycle"]["preStop"]["exec"]["command"]
        self.assertEqual(pre_stop[0], "/bin/sleep")
        grace = duration_seconds(self.flag("shutdown_grace"))
        self.assertGreaterEqual(self.pod["terminationGracePeriodSeconds"],
                                int(pre_stop[1]) + grace + EXIT_MARGIN_S)
        # The drain ends before the kubelet's SIGKILL only because the grace
        # ends with the abort; a grace longer than the pod's would not.
        self.assertLess(grace, self.pod["terminationGracePeriodSeconds"])

    def test_callers_must_present_client_certificates(self):
        self.assertNotIn("--allow_unauthenticated", self.args)
        mounts = {m["mountPath"] for m in self.container["volumeMounts"]}
        for name in ("tls_cert_file", "tls_key_file", "tls_client_ca_file"):
            path = self.flag(name)
            self.assertIn(path.rsplit("/", 1)[0], mounts)

    def test_callers_have_least_privilege(self):
        mounts = {m["name"]: m["mountPath"] for m in self.container["volumeMounts"]}
        volumes = {v["name"]: v for v in self.pod["volumes"]}
        for flag in ("caller_allowlist_file", "response_fields_file",
                     "caller_weights_file"):
            path = self.flag(flag)
            self.assertEqual(path.rsplit("/", 1)[0], mounts["callers"])
        config_map = volumes["callers"]["configMap"]["name"]
        rendered = self.docs["ConfigMap"]
        self.assertEqual(rendered["metadata"]["name"], config_map)
        self.assertEqual(set(rendered["data"]),
                         {"allowlist", "response-fields", "caller-weights"})
        self.assertIn("\n* id\n", "\n" + rendered["data"]["response-fields"])

    def test_secret_key_comes_from_a_mounted_secret(self):
        key_file = self.flag("clerk_secret_key_file")
        mount = self.container["volumeMounts"][0]
        self.assertTrue(key_file.startswith(mount["mountPath"] + "/"))
        self.assertTrue(mount["readOnly"])
        volume = next(v for v in self.pod["volumes"] if v["name"] == mount["name"])
        self.assertIn("secret", volume)
        for arg in self.args:
            self.assertFalse(arg.startswith("--clerk_secret_key="))
        self.assertNotIn("env", self.container)

    def test_replicas_share_the_quota(self):
        hpa = self.docs["HorizontalPodAutoscaler"]["spec"]
        # Production quota: 1000 requests per 10 s for the whole key; alone,
        # each replica paces to quota / replicas, so even the HPA's maximum
        # stays within it.
        self.assertEqual(int(self.flag("clerk_rate_limit")), 1000)
        self.assertEqual(self.flag("clerk_rate_window"), "10s")
        self.assertGreaterEqual(int(self.flag("clerk_rate_limit_replicas")),
                                hpa["maxReplicas"])
        self.assertGreaterEqual(hpa["minReplicas"], 2)

    def test_redis_option(self):
        redis_args = [a for a in self.args if a.startswith("--redis")]
        if not WITH_REDIS:
            self.assertEqual(redis_args, [])
            return
        host, port = self.flag("redis_address").rsplit(":", 1)
        self.assertIn("--redis_tls", self.args)
        self.assertTrue(self.flag("redis_username"))
        mounts = {m["name"]: m for m in self.container["volumeMounts"]}
        volumes = {v["name"]: v for v in self.pod["volumes"]}
        for name in ("redis_password_file", "redis_tls_ca_file"):
            path = self.flag(name)
            mount = next(m for m in mounts.values()
                         if path.startswith(m["mountPath"] + "/"))
            self.assertTrue(mount["readOnly"])
            self.assertIn("secret", volumes[mount["name"]])
        egress = self.docs["NetworkPolicy"]["spec"]["egress"]
        self.assertIn(int(port), [p["port"] for rule in egress
                                  for p in rule["ports"]])

    def test_disruption_budget_keeps_one(self):
        self.assertGreaterEqual(
            self.docs["PodDisruptionBudget"]["spec"]["minAvailable"], 1)

    def test_network_policy(self):
        spec = self.docs["NetworkPolicy"]["spec"]
        self.assertEqual(sorted(spec["policyTypes"]), ["Egress", "Ingress"])
        grpc_rule = spec["ingress"][0]
        self.assertEqual(
            grpc_rule["from"][0]["podSelector"]["matchLabels"],
            {"clerk-user-image/caller": "true"})
        egress_ports = sorted(p["port"] for rule in spec["egress"]
                              for p in rule["ports"])
        expected = [53, 53, 443] + ([6379] if WITH_REDIS else [])
        self.assertEqual(egress_ports, expected)


if __name__ == "__main__":
    unittest.main()
