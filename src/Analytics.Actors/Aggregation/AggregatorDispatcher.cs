using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// The dispatcher the aggregators run on when the pump has a thread of its own (<see cref="PumpThreadMode.Dedicated"/>):
/// a ForkJoinDispatcher with a small thread pool of its own, so producers that hold every thread-pool thread cannot stop
/// the aggregators from folding and reporting (a stats Ask waits for their reports).
/// </summary>
/// <remarks>
/// <c>WithUsageAnalytics</c> adds <see cref="Hocon"/> as a fallback, so a host can size the pool in its own HOCON
/// (<c>usage-analytics-aggregators.dedicated-thread-pool.thread-count</c>). A pump created in an actor system without it
/// (tests, benchmarks) registers the same defaults itself.
/// </remarks>
internal static class AggregatorDispatcher
{
    /// <summary>The dispatcher's id (its HOCON path).</summary>
    public const string Id = "usage-analytics-aggregators";

    /// <summary>
    /// Two threads: three aggregators share them, and the two that hold many keys (models and agents) can build their
    /// views at the same time on a 2-core machine.
    /// </summary>
    public static Config Hocon { get; } = ConfigurationFactory.ParseString($$"""
        {{Id}} {
          type = ForkJoinDispatcher
          throughput = 100
          dedicated-thread-pool {
            thread-count = 2
            threadtype = background
          }
        }
        """);

    /// <summary>Makes sure <paramref name="system"/> knows the dispatcher; returns its id.</summary>
    public static string Ensure(ActorSystem system)
    {
        var dispatchers = system.Dispatchers;
        if (dispatchers.HasDispatcher(Id)) return Id;
        // What "type = ForkJoinDispatcher" resolves to when read from HOCON: a Dispatcher on the fork-join executor.
        var config = ConfigurationFactory.ParseString($"id = \"{Id}\"\nexecutor = fork-join-executor")
            .WithFallback(Hocon.GetConfig(Id))
            .WithFallback(dispatchers.DefaultDispatcherConfig);
        // False when another pump of the same system registered it first: that one is the same.
        dispatchers.RegisterConfigurator(Id, new DispatcherConfigurator(config, dispatchers.Prerequisites));
        return Id;
    }
}
