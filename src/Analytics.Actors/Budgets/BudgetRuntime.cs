using Akka.Actor;
using Akka.Hosting;
using Analytics.Actors.Pump;
using Analytics.Actors.Store;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;

namespace Analytics.Actors.Budgets;

/// <summary>
/// The budgets of one service provider (the DI singleton behind <see cref="IBudgetStatus"/>): empty until
/// <c>WithUsageAnalytics</c> starts the evaluator, then reading its board.
/// </summary>
internal sealed class BudgetRuntime : IBudgetStatus
{
    private volatile Running? _running;

    /// <summary>The running budgets, or null while none run.</summary>
    public Running? Current => _running;

    public bool Enabled => _running is not null;

    public BudgetStatus? Get(string name) => _running?.Board.Get(name ?? throw new ArgumentNullException(nameof(name)));

    public IReadOnlyList<BudgetStatus> ForAgent(string agentId) => _running?.Board.ForAgent(agentId ?? throw new ArgumentNullException(nameof(agentId))) ?? [];

    public IReadOnlyList<BudgetStatus> ForModel(string model) => _running?.Board.ForModel(model ?? throw new ArgumentNullException(nameof(model))) ?? [];

    public IReadOnlyList<BudgetStatus> ForProvider(string provider) => _running?.Board.ForProvider(provider ?? throw new ArgumentNullException(nameof(provider))) ?? [];

    public IReadOnlyList<BudgetStatus> All => _running?.Board.All ?? [];

    public long UnevaluatedRequests => _running?.Feed.Dropped ?? 0;

    /// <summary>Called by the registration once the evaluator runs.</summary>
    public void MarkStarted(Running running) => _running = running;

    /// <summary>The running budgets.</summary>
    internal sealed class Running(BudgetBoard board, IBudgetFeed feed, BudgetEvaluator evaluator, BudgetRunner runner, BudgetWebhook? webhook, BudgetLedger? ledger,
        BudgetsOptions options, IActorRegistry registry, TimeSpan askTimeout, ILogger log)
    {
        private readonly object _gate = new();
        private Task? _stopped;

        public BudgetBoard Board { get; } = board;

        public IBudgetFeed Feed { get; } = feed;

        public BudgetRunner Runner { get; } = runner;

        /// <summary>The counters so far.</summary>
        public BudgetCounters Counters => Runner.Counters;

        /// <summary>True when the queue can take what is in the ring plus one more request (a producer that can wait, replay, checks it).</summary>
        public bool HasRoom(long inFlight) => Feed.HasRoom(inFlight);

        /// <summary>
        /// Every window that saw spend, in time order. Reads the evaluator's books, so it waits for the evaluator to
        /// finish: call it after the host stopped (as replay does).
        /// </summary>
        public IReadOnlyList<BudgetWindowReport> Windows()
        {
            if (!Runner.Completion.IsCompleted) throw new InvalidOperationException("Budget windows are listed once the evaluator stopped (after the host stopped).");
            return evaluator.Windows();
        }

        /// <summary>
        /// The barrier: completes once every request recorded before the call is evaluated, its statuses published and
        /// its crossings recorded into the ring (so a stats Ask made next counts them).
        /// </summary>
        public async Task WhenEvaluatedAsync(CancellationToken cancellationToken = default)
        {
            if (!registry.TryGet<IngressPumpActor>(out var pump)) throw new InvalidOperationException("Usage analytics is not running: no pump.");
            try
            {
                // The stats Ask drains every shard to its tail, offering every request recorded before it to the feed.
                await pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, askTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (AskTimeoutException e)
            {
                throw new TimeoutException($"The pump did not drain within {AnalyticsOptions.SectionName}:AskTimeout ({askTimeout:c}).", e);
            }
            await Runner.WhenHandledAsync(Feed.Accepted, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Stops after the pump's final drain: the feed ends, the evaluator handles what is queued, the webhook posts
        /// what it holds within its flush timeout. Idempotent.
        /// </summary>
        public Task StopAsync()
        {
            lock (_gate) return _stopped ??= StopOnceAsync();
        }

        private async Task StopOnceAsync()
        {
            if (registry.TryGet<IngressPumpActor>(out var pump)) await AnalyticsHostingExtensions.DrainAsync(pump, askTimeout).ConfigureAwait(false);
            Feed.Detach();
            try
            {
                await Runner.Completion.WaitAsync(StopTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                log.LogError("Budgets: the evaluator did not finish within {Timeout}; what it had not handled is not counted", StopTimeout);
            }
            catch (Exception)
            {
                // Logged by the runner itself.
            }
            if (webhook is not null) await webhook.StopAsync(options.WebhookFlushTimeout).ConfigureAwait(false);
            ledger?.Dispose();
            var c = Counters;
            log.LogInformation("Budgets stopped: {Evaluated} requests evaluated, {Dropped} not evaluated (queue full), {Crossings} thresholds crossed " +
                               "({NotRecorded} not recorded), webhook {Delivered} delivered, {Refused} refused, {GivenUp} given up, {WebhookDropped} dropped",
                c.Evaluated, c.Dropped, c.Crossings, c.NotRecorded, c.WebhookDelivered, c.WebhookRefused, c.WebhookGivenUp, c.WebhookDropped);
        }

        private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    }
}
