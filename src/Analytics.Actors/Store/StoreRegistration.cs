using System.Threading.Channels;
using Akka;
using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Hosting;
using Analytics.Actors.Ingress;
using Analytics.Actors.Pump;
using Analytics.Actors.Sync;
using Analytics.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

using Analytics.Actors.Metrics;

namespace Analytics.Actors.Store;

/// <summary>Registers and starts the store when a path is configured.</summary>
internal static class StoreRegistration
{
    /// <summary>Idle poll of the outbox: new rows of this process wake it at once; this only catches other writers.</summary>
    private static readonly TimeSpan OutboxIdlePoll = TimeSpan.FromSeconds(5);

    /// <summary>Registers the <see cref="StoreRuntime"/>, <see cref="IUsageStore"/>, and the start-up open of the ledger.</summary>
    public static IServiceCollection AddStore(this IServiceCollection services)
    {
        services.TryAddSingleton<StoreRuntime>();
        services.TryAddSingleton<IUsageStore, UsageStoreService>();
        services.AddHostedService<StoreStartup>();
        return services;
    }

    /// <summary>
    /// Starts the store for <paramref name="recorder"/> if configured: its queue (a tap of the pump), the writer, the
    /// query actor and the shutdown flush. Returns the outbox feed for sync when sync is on too, else null.
    /// </summary>
    public static SyncFeed? Start(ActorSystem system, IActorRegistry registry, IDependencyResolver resolver, AnalyticsOptions options, UsageRecorder recorder)
    {
        var store = options.Store;
        if (store is null || !store.Enabled) return null;

        var runtime = resolver.GetService<StoreRuntime>()
            ?? throw new InvalidOperationException("The store needs services.AddUsageAnalytics(configuration) before builder.WithUsageAnalytics().");
        var loggers = resolver.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var time = resolver.GetService<TimeProvider>() ?? TimeProvider.System;
        var log = loggers.CreateLogger(typeof(StoreRegistration).Namespace!);

        var db = runtime.Open(store);
        var writer = new LedgerWriter(db);
        var metrics = new StoreMetrics();
        resolver.GetService<StoreSignalsSource>()?.Attach(metrics); // the meter's store instruments and the health check read it
        var queue = Channel.CreateBounded<AnalyticsEvent>(new BoundedChannelOptions(store.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite this means "refuse": the tap counts it as store-dropped
        });
        var tap = new EventTap(queue.Writer, llmEventsOnly: true, isSubscription: false);
        metrics.Attach(tap);

        var sync = options.Sync;
        var outbox = sync is { Enabled: true }
            ? new LedgerOutbox(db, pageSize: Math.Clamp(sync.BatchSize * sync.Parallelism, 16, 1_024), OutboxIdlePoll, repassDelay: sync.MaxRetryDelay)
            : null;
        var committer = new BatchCommitter(writer, metrics, outbox is null ? Delivery.Local : Delivery.Pending, outbox is null ? null : outbox.Wake, log);
        var actor = system.ActorOf(StoreWriterActor.CreateProps(tap, queue.Reader, writer, committer, metrics, store, time), "usage-analytics-store");
        registry.Register<StoreWriterActor>(actor);

        var running = new StoreRuntime.Running(writer, metrics, registry, options, store.QueueCapacity, () => queue.Reader.Count, time);
        registry.Register<UsageLedger>(system.ActorOf(LedgerQueryActor.CreateProps(running), "usage-analytics-ledger"));
        recorder.Taps.Add(tap);
        runtime.MarkStarted(running);

        // One flush, awaited by the sync flush too (with the outbox, sync must see every committed row).
        var flush = new Lazy<Task>(() => FlushAsync(registry, actor, store.FlushTimeout, options.AskTimeout, db.Path, log));
        CoordinatedShutdown.Get(system).AddTask(SyncRegistration.FlushPhase, "analytics-store-flush", async () =>
        {
            await flush.Value.ConfigureAwait(false);
            return Done.Instance;
        });
        system.WhenTerminated.ContinueWith(_ => runtime.Dispose(), TaskScheduler.Default);
        log.LogInformation("Store on: {Path}, batches of {BatchSize} or every {BatchInterval}, events kept {RetainEvents} once settled{Outbox}",
            db.Path, store.BatchSize, store.BatchInterval, store.RetainEvents, outbox is null ? "" : "; sync delivers from the ledger");

        if (outbox is null) return null;
        return new SyncFeed(
            outbox.Source,
            outbox.Complete,
            () => outbox.Handed,
            sink => new OutboxSink(sink, outbox, writer, sync.MaxConcurrentRequestsPerBatch, loggers.CreateLogger<OutboxSink>()),
            () => flush.Value);
    }

    /// <summary>The shutdown flush: the pump's final drain, then the writer commits what it was handed.</summary>
    private static async Task FlushAsync(IActorRegistry registry, IActorRef writer, TimeSpan flushTimeout, TimeSpan askTimeout, string path, ILogger log)
    {
        if (registry.TryGet<IngressPumpActor>(out var pump)) await AnalyticsHostingExtensions.DrainAsync(pump, askTimeout).ConfigureAwait(false);
        try
        {
            var flushed = await writer.Ask<StoreWriterActor.Flushed>(StoreWriterActor.Flush.Instance, flushTimeout + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            var c = flushed.Counters;
            if (c.Failed > 0 || c.StoreDropped > 0)
            {
                log.LogWarning("Store flushed to {Path}: {Inserted} inserted, {Duplicates} duplicates, {Expired} expired, {Failed} failed, {StoreDropped} store-dropped",
                    path, c.Inserted, c.Duplicates, c.Expired, c.Failed, c.StoreDropped);
            }
            else
            {
                log.LogInformation("Store flushed to {Path}: {Inserted} inserted, {Duplicates} duplicates, {Expired} expired", path, c.Inserted, c.Duplicates, c.Expired);
            }
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            log.LogError("Store flush: the writer did not answer; what it had not committed counts as failed when it stops");
        }
    }

    /// <summary>
    /// Opens the ledger when the host starts, before the actor system: a corrupt, read-only or foreign file then fails
    /// the start with its reason instead of the first write.
    /// </summary>
    internal sealed class StoreStartup(StoreRuntime runtime, IOptions<AnalyticsOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (options.Value.Store is { Enabled: true } store) runtime.Open(store);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
