using System.Reflection;
using PublicApiGenerator;

namespace Analytics.Tests.PublicApi;

/// <summary>
/// Pins the public API of the two libraries: any change to it shows up as a diff of the approved files next to this
/// spec. To accept an intended change, copy the <c>.received.txt</c> the failing run wrote over the
/// <c>.approved.txt</c> (or run the tests once with <c>ACCEPT_PUBLIC_API=1</c>) and commit it with the change.
/// </summary>
public sealed class PublicApiSpecs
{
    public static TheoryData<string> Assemblies =>
        [typeof(UsageRecorder).Assembly.GetName().Name!, typeof(UsageRow).Assembly.GetName().Name!, typeof(UsageAnalyticsEndpoints).Assembly.GetName().Name!,
            typeof(UsageClusterHostingExtensions).Assembly.GetName().Name!];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void The_public_API_is_the_approved_one(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var api = assembly.GeneratePublicApi(new ApiGeneratorOptions { ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Runtime.CompilerServices.InternalsVisibleToAttribute"] })
            .ReplaceLineEndings("\n");
        var folder = Path.Combine(RepositorySpecs.RepositoryRoot(), "tests", "Analytics.Tests", "PublicApi");
        var approvedPath = Path.Combine(folder, $"{assemblyName}.approved.txt");
        var receivedPath = Path.Combine(folder, $"{assemblyName}.received.txt");

        if (Environment.GetEnvironmentVariable("ACCEPT_PUBLIC_API") == "1") File.WriteAllText(approvedPath, api);
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (approved == api)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, api);
        Assert.Fail($"The public API of {assemblyName} changed. Compare {receivedPath} with {approvedPath}; if the change is intended, " +
                    "copy the received file over the approved one and commit it.");
    }

    [Fact]
    public void Actors_messages_and_plumbing_are_not_public()
    {
        var actors = typeof(UsageRecorder).Assembly;
        string[] internalTypes =
        [
            "Analytics.Actors.Pump.IngressPumpActor", "Analytics.Actors.Aggregation.UsageFold", "Analytics.Actors.Aggregation.StatsDimension",
            "Analytics.Actors.Hosting.AnalyticsOptionsValidator", "Analytics.Actors.Sync.SyncActor", "Analytics.Actors.Ingress.IngressBuffer",
        ];
        string[] internalClusterTypes =
        [
            "Analytics.Actors.Cluster.Crdt.UsageCounterMap", "Analytics.Actors.Cluster.Publishing.UsagePublisherActor", "Analytics.Actors.Cluster.Reading.ClusterStatsActor",
        ];
        foreach (var name in internalClusterTypes) Assert.False(typeof(UsageClusterHostingExtensions).Assembly.GetType(name, throwOnError: true)!.IsPublic, $"{name} is public");
        foreach (var name in internalTypes)
        {
            var type = actors.GetType(name, throwOnError: true)!;
            Assert.False(type.IsPublic, $"{name} is public");
        }
        // A user needs at most two namespaces of ours, plus the chat client middleware's own (issue 11 names it); the web
        // and cluster packages add none.
        var namespaces = actors.GetExportedTypes().Concat(typeof(UsageRow).Assembly.GetExportedTypes()).Concat(typeof(UsageAnalyticsEndpoints).Assembly.GetExportedTypes())
            .Concat(typeof(UsageClusterHostingExtensions).Assembly.GetExportedTypes())
            .Select(t => t.Namespace ?? "").Distinct().Order().ToArray();
        Assert.Equal(["Analytics.Actors", "Analytics.Actors.AI", "Analytics.Contracts"], namespaces);
    }
}
