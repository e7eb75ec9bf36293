using Hearth.Router.Config;
using Hearth.Tests;
using k8s;
using k8s.Models;

namespace Hearth.Router.Tests;

/// <summary>The Kubernetes manifests in deploy/k8s, read into KubernetesClient's typed objects and checked for what
/// running Hearth on a cluster depends on: probes, ports, security context, the drain, discovery RBAC, scraping.</summary>
public sealed class DeploymentManifestTests
{
    private static readonly string Dir = Path.Combine(TestPaths.RepoRoot, "deploy", "k8s");

    private static List<object> All() =>
        Directory.GetFiles(Dir, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f))).ToList();

    private static T One<T>(string name) where T : IKubernetesObject<V1ObjectMeta> =>
        All().OfType<T>().Single(o => o.Metadata.Name == name);

    [Fact]
    public void KustomizationListsEveryManifestAndEveryManifestParses()
    {
        var kustomization = File.ReadAllLines(Path.Combine(Dir, "kustomization.yaml"))
            .Where(l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal)).Select(l => l.Trim()[2..]).Order().ToList();
        var files = Directory.GetFiles(Dir, "*.yaml").Select(f => Path.GetFileName(f)!).Where(f => f != "kustomization.yaml").Order().ToList();
        Assert.Equal(files, kustomization);
        var objects = All();
        Assert.Equal(10, objects.Count);
        Assert.All(objects, o => Assert.IsAssignableFrom<IKubernetesObject>(o));
    }

    [Fact]
    public void ServeStatefulSetProbesPortsDrainAndSecurity()
    {
        var set = One<V1StatefulSet>("hearth-serve");
        var pod = set.Spec.Template.Spec;
        var c = Assert.Single(pod.Containers);
        var http = Assert.Single(c.Ports);
        Assert.Equal(("http", 11435), (http.Name, http.ContainerPort));
        Assert.Equal(("/ready", "http"), (c.ReadinessProbe.HttpGet.Path, c.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal(("/health", "http"), (c.LivenessProbe.HttpGet.Path, c.LivenessProbe.HttpGet.Port.Value));
        var args = c.Args.ToList();
        Assert.Equal(["serve", "--host", "0.0.0.0"], args.Take(3));
        Assert.Equal("11435", args[args.IndexOf("--port") + 1]);
        Assert.Contains("--api-key-file", args); // bound beyond loopback, so keys are required
        // The drain: preStop pause + --drain-timeout must fit inside the termination grace period.
        var drain = int.Parse(args[args.IndexOf("--drain-timeout") + 1]);
        var preStop = (int)c.Lifecycle.PreStop.Sleep.Seconds;
        Assert.True(pod.TerminationGracePeriodSeconds >= drain + preStop + 5, $"grace {pod.TerminationGracePeriodSeconds} s < drain {drain} s + preStop {preStop} s + 5 s");
        AssertLockedDown(pod, c);
        Assert.Equal("/data", c.VolumeMounts.Single(m => m.Name == "models").MountPath);
        Assert.Equal("/data", c.Env.Single(e => e.Name == "HEARTH_HOME").Value);
        Assert.Equal("models", Assert.Single(set.Spec.VolumeClaimTemplates).Metadata.Name);
        Assert.Equal("hearth-api-keys", pod.Volumes.Single(v => v.Name == "keys").Secret.SecretName);
        AssertScraped(set.Spec.Template.Metadata, "11435");

        var svc = One<V1Service>("hearth-serve");
        Assert.Equal("None", svc.Spec.ClusterIP); // headless: the router sees every replica
        Assert.Equal(set.Spec.ServiceName, svc.Metadata.Name);
        Assert.Equal(set.Spec.Selector.MatchLabels, svc.Spec.Selector);
        Assert.Equal(("http", "http"), (svc.Spec.Ports.Single().Name, svc.Spec.Ports.Single().TargetPort.Value));
    }

    [Fact]
    public void RouterDeploymentDiscoversTheServeServiceWithLeastPrivilege()
    {
        var deployment = One<V1Deployment>("hearth-router");
        var pod = deployment.Spec.Template.Spec;
        var c = Assert.Single(pod.Containers);
        AssertLockedDown(pod, c);
        AssertScraped(deployment.Spec.Template.Metadata, "4000");
        Assert.Equal(("/health", "http"), (c.ReadinessProbe.HttpGet.Path, c.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal(4000, c.Ports.Single(p => p.Name == "http").ContainerPort);

        // RBAC: the router's service account may only get/list/watch EndpointSlices in its namespace.
        var sa = One<V1ServiceAccount>("hearth-router");
        Assert.Equal(sa.Metadata.Name, pod.ServiceAccountName);
        var role = One<V1Role>("hearth-router-discovery");
        var rule = Assert.Single(role.Rules);
        Assert.Equal(["discovery.k8s.io"], rule.ApiGroups);
        Assert.Equal(["endpointslices"], rule.Resources);
        Assert.Equal(["get", "list", "watch"], rule.Verbs);
        var binding = One<V1RoleBinding>("hearth-router-discovery");
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        Assert.Equal(("ServiceAccount", sa.Metadata.Name), (binding.Subjects.Single().Kind, binding.Subjects.Single().Name));

        // The router config in the ConfigMap is valid and points discovery at the serve Service's named port.
        var config = One<V1ConfigMap>("hearth-router").Data["router.yaml"];
        foreach (var env in c.Env) Environment.SetEnvironmentVariable(env.Name, "test-" + env.Name);
        try
        {
            var parsed = RouterConfigLoader.Parse(config);
            var serve = One<V1Service>("hearth-serve");
            Assert.Equal(serve.Metadata.Name, parsed.Discovery!.Service);
            Assert.Contains(serve.Spec.Ports, p => p.Name == parsed.Discovery.Port);
            Assert.Equal("test-HEARTH_POSTGRES", parsed.Postgres);
            Assert.Equal("test-HEARTH_REDIS", parsed.Redis);
            Assert.Equal("test-HEARTH_MASTER_KEY", parsed.MasterKey);
        }
        finally
        {
            foreach (var env in c.Env) Environment.SetEnvironmentVariable(env.Name, null);
        }
    }

    [Fact]
    public void AutoscalerScalesTheEngineOnWaitingRequests()
    {
        var hpa = One<V2HorizontalPodAutoscaler>("hearth-serve");
        Assert.Equal(("StatefulSet", "hearth-serve"), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        var metric = Assert.Single(hpa.Spec.Metrics);
        Assert.Equal("hearth_num_requests_waiting", metric.Pods.Metric.Name);
        Assert.True(hpa.Spec.MinReplicas >= 1 && hpa.Spec.MaxReplicas > hpa.Spec.MinReplicas);
    }

    private static void AssertLockedDown(V1PodSpec pod, V1Container c)
    {
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.NotEqual(0, pod.SecurityContext.RunAsUser);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.False(c.SecurityContext.AllowPrivilegeEscalation);
        Assert.True(c.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], c.SecurityContext.Capabilities.Drop);
        Assert.NotNull(c.Resources.Requests["cpu"]);
        Assert.NotNull(c.Resources.Limits["memory"]);
    }

    private static void AssertScraped(V1ObjectMeta meta, string port)
    {
        Assert.Equal("true", meta.Annotations["prometheus.io/scrape"]);
        Assert.Equal(port, meta.Annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", meta.Annotations["prometheus.io/path"]);
    }

    [Fact]
    public void DockerfileIsMultiStageAndRunsAsNonRoot()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "deploy", "Dockerfile")).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(2, lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("COPY --from=build ", StringComparison.Ordinal));
        var user = lines.Single(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotContain("root", user);
        Assert.DoesNotContain(" 0", user);
        Assert.Contains(lines, l => l.Contains("src/Hearth.Cli/Hearth.Cli.csproj"));
    }
}
