using Akka;
using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Hosting;
using Analytics.Actors.Metrics;
using Analytics.Actors.Store;
using Analytics.Actors.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Analytics.Actors.Budgets;

/// <summary>Registers <see cref="IBudgetStatus"/> and starts the budget evaluator when budgets are configured.</summary>
internal static class BudgetRegistration
{
    /// <summary>
    /// After a restart, requests stamped up to this long after the start may still be ones the ledger held (a client
    /// whose clock runs ahead of ours); later ones cannot be.
    /// </summary>
    internal static readonly TimeSpan StoredCheckWindow = TimeSpan.FromMinutes(5);

    /// <summary>Registers the status service and the webhook's named HTTP client.</summary>
    public static IServiceCollection AddBudgets(this IServiceCollection services)
    {
        services.TryAddSingleton<BudgetRuntime>();
        services.TryAddSingleton<IBudgetStatus>(sp => sp.GetRequiredService<BudgetRuntime>());
        // Polly owns the timeouts; a redirect is not followed (the body would be re-posted somewhere the user did not name).
        services.AddHttpClient(BudgetWebhook.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        return services;
    }

    /// <summary>
    /// Starts the budgets for <paramref name="recorder"/> if any is configured: resumes from the store (when on), publishes
    /// the first statuses, attaches the feed (before the pump's first drain) and the gauge, and stops after the pump's
    /// final drain. Returns the running budgets, or null when none is configured (then nothing runs or costs anything).
    /// </summary>
    public static BudgetRuntime.Running? Start(ActorSystem system, IActorRegistry registry, IDependencyResolver resolver, AnalyticsOptions options, UsageRecorder recorder,
        MetricsPipeline? metrics)
    {
        var budgets = options.Budgets;
        if (budgets is null || !budgets.Enabled) return null;

        var runtime = resolver.GetService<BudgetRuntime>()
            ?? throw new InvalidOperationException("Budgets need services.AddUsageAnalytics(configuration) before builder.WithUsageAnalytics().");
        var loggers = resolver.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var time = resolver.GetService<TimeProvider>() ?? TimeProvider.System;
        var log = loggers.CreateLogger(typeof(BudgetRegistration).Namespace!);
        var definitions = budgets.Definitions();

        BudgetLedger? ledger = null;
        BudgetResume? resume = null;
        if (options.Store is { Enabled: true } store)
        {
            var db = (resolver.GetService<StoreRuntime>()
                      ?? throw new InvalidOperationException("The store needs services.AddUsageAnalytics(configuration).")).Open(store);
            ledger = BudgetLedger.Open(db);
            resume = ledger.Resume(definitions, time.GetUtcNow().ToUnixTimeMilliseconds(), StoredCheckWindow);
        }

        var evaluator = new BudgetEvaluator(definitions, time, resume);
        var board = new BudgetBoard(definitions, time);
        // With the store the evaluator checks event ids against the ledger, so it reads the events the store's tap makes
        // anyway; without it the pump's samples are enough, and far cheaper for the pump than an event per request.
        IBudgetFeed feed = resume is null ? new SampleBudgetFeed(recorder, budgets.QueueCapacity) : new TapBudgetFeed(recorder, budgets.QueueCapacity);
        BudgetWebhook? webhook = null;
        if (budgets.WebhookUri is { } url)
        {
            var clients = resolver.GetService<IHttpClientFactory>()
                ?? throw new InvalidOperationException("The budget webhook needs IHttpClientFactory: call services.AddUsageAnalytics(configuration).");
            webhook = new BudgetWebhook(url, budgets, clients, time, loggers.CreateLogger<BudgetWebhook>());
            webhook.Start();
        }
        var runner = new BudgetRunner(feed, evaluator, board, ledger, recorder, webhook, time, log);
        runner.Start();
        metrics?.Meter.ObserveBudgets(() => board.All);

        var running = new BudgetRuntime.Running(board, feed, evaluator, runner, webhook, ledger, budgets, registry, options.AskTimeout, log);
        runtime.MarkStarted(running);
        // After the pump's final drain (awaited inside), in the phase of the store and sync flushes.
        CoordinatedShutdown.Get(system).AddTask(SyncRegistration.FlushPhase, "analytics-budgets-stop", async () =>
        {
            await running.StopAsync().ConfigureAwait(false);
            return Done.Instance;
        });
        system.WhenTerminated.ContinueWith(_ => running.StopAsync(), TaskScheduler.Default);
        log.LogInformation("Budgets on: {Count} ({Names}){Resumed}{Webhook}", definitions.Count, string.Join(", ", definitions.Select(d => d.Name)),
            resume is null ? "" : $"; resumed from the store ({resume.Spent.Count} with spend in their current window)",
            webhook is null ? "" : $"; threshold events posted to {SyncOptions.Redact(budgets.Webhook)}");
        return running;
    }
}
