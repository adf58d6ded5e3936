using Microsoft.Extensions.Hosting;

namespace Analytics.Actors.Hosting;

/// <summary>
/// Fails the host's start when <c>AddUsageAnalytics</c> was called but no actor system runs the analytics (the
/// <c>WithUsageAnalytics()</c> call was forgotten): a <see cref="UsageRecorder"/> would then accept events that nothing
/// ever drains. Runs after every hosted service started, so the Akka host has had its chance.
/// </summary>
internal sealed class AnalyticsStartupCheck(UsageAnalyticsRuntime runtime) : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (runtime.Running is not { } running)
            throw new InvalidOperationException(
                "services.AddUsageAnalytics(configuration) was called, but no actor system runs the usage analytics: add .WithUsageAnalytics() " +
                "to the builder of services.AddAkka(...). Without it nothing drains the UsageRecorder.");
        if (running.Options.Cluster.Enabled && runtime.Cluster is null)
            throw new InvalidOperationException(
                $"{AnalyticsOptions.SectionName}:Cluster:Enabled is true, but the cluster is not registered: add the package LlmUsageAnalytics.Cluster and " +
                "call .WithUsageAnalyticsCluster(serviceProvider) on the builder of services.AddAkka(name, (akka, serviceProvider) => ...), " +
                $"or set {AnalyticsOptions.SectionName}:Cluster:Enabled=false.");
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
