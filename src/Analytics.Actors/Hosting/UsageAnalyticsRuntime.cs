using Akka.Actor;
using Analytics.Actors.Cluster;

namespace Analytics.Actors.Hosting;

/// <summary>
/// The analytics of one service provider: its <see cref="UsageRecorder"/>, created on first use from the options in
/// force (so DI consumers and <c>WithUsageAnalytics</c> share one ring whichever resolves it first), and, once
/// <c>WithUsageAnalytics</c> has run, the actor system and the options the actors run with.
/// </summary>
internal sealed class UsageAnalyticsRuntime
{
    private readonly object _gate = new();
    private UsageRecorder? _recorder;
    private AnalyticsOptions? _createdWith;
    private volatile Started? _started;
    private volatile IClusterView? _cluster;

    /// <summary>The running actors, or null until <c>WithUsageAnalytics</c> started them.</summary>
    public Started? Running => _started;

    /// <summary>The cluster view, once the cluster package started it on this host; null when the cluster is off.</summary>
    public IClusterView? Cluster => _cluster;

    /// <summary>Called by the cluster package once its actors run.</summary>
    public void MarkClusterStarted(IClusterView view) => _cluster = view;

    public UsageRecorder GetRecorder(AnalyticsOptions options)
    {
        lock (_gate)
        {
            if (_recorder is null)
            {
                AnalyticsOptionsValidator.ThrowIfInvalid(options);
                _recorder = new UsageRecorder(options.BufferCapacity, options.IngressShards);
                _createdWith = options;
                return _recorder;
            }

            if (options.BufferCapacity != _createdWith!.BufferCapacity || options.IngressShards != _createdWith.IngressShards)
                throw new InvalidOperationException(
                    $"The UsageRecorder was already created with {AnalyticsOptions.SectionName}:BufferCapacity={_createdWith.BufferCapacity} and " +
                    $"{AnalyticsOptions.SectionName}:IngressShards={_createdWith.IngressShards}; WithUsageAnalytics asked for {options.BufferCapacity} and " +
                    $"{options.IngressShards}. Set the ring size in one place (configuration or the options passed to WithUsageAnalytics).");
            return _recorder;
        }
    }

    /// <summary>Called by <c>WithUsageAnalytics</c> once the pump runs.</summary>
    public void MarkStarted(ActorSystem system, IActorRef pump, AnalyticsOptions options) => _started = new Started(system, pump, options);

    /// <summary>The running analytics.</summary>
    /// <param name="System">The actor system they run in.</param>
    /// <param name="Pump">The actor that answers stats queries.</param>
    /// <param name="Options">The options the actors run with.</param>
    public sealed record Started(ActorSystem System, IActorRef Pump, AnalyticsOptions Options);
}
