using System.Diagnostics;
using System.Threading.Channels;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;
using Akka.Configuration;
using Akka.DependencyInjection;
using Akka.Hosting;
using Analytics.Actors.Ingress;
using Analytics.Actors.Pump;
using Analytics.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Analytics.Actors.Sync;

/// <summary>Registers and starts the sync pipeline when an endpoint is configured.</summary>
internal static class SyncRegistration
{
    /// <summary>The CoordinatedShutdown phase the flush runs in: after intake stops, before services stop.</summary>
    public const string FlushPhase = CoordinatedShutdown.PhaseServiceRequestsDone;

    /// <summary>
    /// Raises the flush phase's timeout (5 s by default in Akka) above the longest flush allowed
    /// (<see cref="SyncOptions.MaxFlushTimeout"/> plus the cancel grace), so the flush, which bounds itself by
    /// <c>FlushTimeout</c>, is never cut short by the phase. The timeout is only a cap: the phase ends as soon as its tasks do.
    /// </summary>
    public static Config ShutdownHocon { get; } = ConfigurationFactory.ParseString(
        $"akka.coordinated-shutdown.phases.{FlushPhase}.timeout = {(long)(SyncOptions.MaxFlushTimeout + SyncActor.CancelGrace + TimeSpan.FromSeconds(25)).TotalSeconds}s");

    /// <summary>Registers the <see cref="SyncStatus"/> and the named HTTP client of the sink.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSync(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => new SyncStatus());
        AddSyncHttpClient(services);
        return services;
    }

    /// <summary>
    /// The sink's named HTTP client. Polly owns the per-attempt timeout, so HttpClient's own 100 s timeout must not cut
    /// in; redirects are not followed (the body carries the token, and a 301 would turn the POST into a GET whose 200
    /// looks like a delivery), so a 3xx reaches the sink, which rejects and dead-letters it; responses are not
    /// decompressed, so a compressed body cannot grow past the sink's read cap.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The client's builder, for an application that adds handlers of its own.</returns>
    public static IHttpClientBuilder AddSyncHttpClient(IServiceCollection services) =>
        services.AddHttpClient(Protocol012HttpSink.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
            });

    /// <summary>
    /// Starts sync for <paramref name="recorder"/> if configured. Returns a reader of its counters for the
    /// stats, or null when sync is off. Without a <paramref name="feed"/> the pump feeds sync through a bounded queue;
    /// with one (the store's outbox) sync reads from it and no queue exists.
    /// </summary>
    public static Func<SyncCounters?>? Start(ActorSystem system, IActorRegistry registry, IDependencyResolver resolver, AnalyticsOptions options, UsageRecorder recorder,
        SyncFeed? feed = null)
    {
        var sync = options.Sync;
        if (sync is null || !sync.Enabled) return null; // sync off: nothing runs

        var clients = resolver.GetService<IHttpClientFactory>()
            ?? throw new InvalidOperationException("Sync needs IHttpClientFactory: call services.AddUsageAnalytics(configuration).");
        var loggers = resolver.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var time = resolver.GetService<TimeProvider>() ?? TimeProvider.System;

        var log = loggers.CreateLogger(typeof(SyncRegistration).Namespace!);
        var metrics = new SyncMetrics();
        var deadLetters = new DeadLetterFile(sync.DeadLetterPath, time, loggers.CreateLogger<DeadLetterFile>(), sync.Token);
        metrics.Attach(deadLetters);
        var sink = new Protocol012HttpSink(sync, clients, metrics, deadLetters, time, loggers.CreateLogger<Protocol012HttpSink>());

        IActorRef actor;
        if (feed is null)
        {
            var queue = Channel.CreateBounded<AnalyticsEvent>(new BoundedChannelOptions(sync.QueueCapacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait, // with TryWrite this means "refuse": the tap counts it as sync-dropped
            });
            var tap = new EventTap(queue.Writer, llmEventsOnly: true, isSubscription: false);
            metrics.Attach(tap, queue.Reader, sync.QueueCapacity);
            actor = system.ActorOf(SyncActor.CreateProps(tap, queue.Reader, sink, metrics, sync), "usage-analytics-sync");
            recorder.Taps.Add(tap);
        }
        else
        {
            metrics.Attach(feed.Handed, static () => 0); // nothing is refused: the ledger holds what sync has not taken yet
            actor = system.ActorOf(SyncActor.CreateProps(feed.Source, feed.Complete, feed.WrapSink(sink), metrics, sync), "usage-analytics-sync");
        }
        registry.Register<SyncActor>(actor);
        resolver.GetService<SyncStatus>()?.Attach(metrics);

        CoordinatedShutdown.Get(system).AddTask(FlushPhase, "analytics-sync-flush", () => FlushAsync(registry, actor, sync.FlushTimeout, deadLetters.Path, log, feed?.BeforeFlush));
        log.LogInformation("Sync on: events go to {Endpoint} in batches of {BatchSize} or every {Interval}; dead letters in {DeadLetterPath}",
            sync.EventsUri, sync.BatchSize, sync.Interval, deadLetters.Path);
        return metrics.Snapshot;
    }

    /// <summary>
    /// The shutdown flush: drain the ring (the pump's final drain offers everything recorded so far to the queue),
    /// then have the sync actor complete the queue and wait for delivery, all within <paramref name="flushTimeout"/>
    /// (plus the cancel grace when delivery has to be cancelled).
    /// </summary>
    private static async Task<Done> FlushAsync(IActorRegistry registry, IActorRef syncActor, TimeSpan flushTimeout, string deadLetterPath, ILogger log,
        Func<Task>? beforeFlush)
    {
        var started = Stopwatch.GetTimestamp();
        // The pump is created after sync starts, so it is looked up now rather than captured at start. Its final drain
        // (also a task of this phase, and idempotent) puts everything accepted into the queue before it is completed.
        if (registry.TryGet<IngressPumpActor>(out var pump))
        {
            try
            {
                await pump.Ask<IngressPumpActor.Drained>(IngressPumpActor.DrainAll.Instance, flushTimeout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
            {
                log.LogWarning("Sync flush: the pump did not drain within {FlushTimeout}; flushing what reached the queue", flushTimeout);
            }
        }

        // With the store, sync reads the ledger: the writer commits everything drained before the outbox is completed.
        if (beforeFlush is not null) await beforeFlush().ConfigureAwait(false);

        var left = flushTimeout - Stopwatch.GetElapsedTime(started);
        if (left < TimeSpan.FromMilliseconds(1)) left = TimeSpan.FromMilliseconds(1);
        SyncActor.Flushed flushed;
        try
        {
            flushed = await syncActor.Ask<SyncActor.Flushed>(new SyncActor.Flush(left), left + SyncActor.CancelGrace + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            log.LogError("Sync flush: the sync actor did not answer; its counters are closed when it stops");
            return Done.Instance;
        }

        var c = flushed.Counters;
        if (c.Undelivered > 0 || c.Rejected > 0 || c.SyncDropped > 0 || c.DeadLetterWriteFailures > 0)
        {
            log.LogWarning("Sync flushed: {Delivered} delivered ({Duplicates} duplicates), {Rejected} rejected ({Unauthorized} unauthorized), {Undelivered} undelivered " +
                           "({LeftUnsettled} still unsettled at the end), {SyncDropped} sync-dropped, {RetriedAttempts} retried attempts; dead letters in {DeadLetterPath} " +
                           "({DeadLetterWriteFailures} could not be written)",
                c.Delivered, c.Duplicates, c.Rejected, c.Unauthorized, c.Undelivered, flushed.LeftUnsettled, c.SyncDropped, c.RetriedAttempts, deadLetterPath,
                c.DeadLetterWriteFailures);
        }
        else
        {
            log.LogInformation("Sync flushed: {Delivered} delivered ({Duplicates} duplicates), 0 undelivered, {RetriedAttempts} retried attempts",
                c.Delivered, c.Duplicates, c.RetriedAttempts);
        }
        return Done.Instance;
    }
}

/// <summary>
/// A source of events for sync other than the pump's queue: the store's outbox, which reads undelivered rows from the
/// ledger and marks them as the server answers.
/// </summary>
/// <param name="Source">Creates the source of one stream run; the token fires when delivery must stop.</param>
/// <param name="Complete">Ends the source once it has handed out everything there is (the flush).</param>
/// <param name="Handed">Events handed to the pipeline so far.</param>
/// <param name="WrapSink">Wraps the HTTP sink (the outbox marks delivery outcomes in the ledger).</param>
/// <param name="BeforeFlush">Awaited after the pump's final drain and before the source is completed.</param>
internal sealed record SyncFeed(
    Func<CancellationToken, Source<AnalyticsEvent, NotUsed>> Source,
    Action Complete,
    Func<long> Handed,
    Func<ISyncSink, ISyncSink> WrapSink,
    Func<Task> BeforeFlush);
