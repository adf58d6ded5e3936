using System.Threading.Channels;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Analytics.Actors.Health;
using Analytics.Actors.Ingress;
using Analytics.Actors.Metrics;
using Analytics.Actors.Sync;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Analytics.Tests.Health;

/// <summary>
/// The health check against a real actor system. The "pump" is an empty actor unless a spec needs a stuck one: the
/// check only pings it, and with nothing draining the ring a spec can fill it and make drops on purpose.
/// </summary>
public sealed class UsageAnalyticsHealthCheckSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private readonly FakeTimeProvider _time = new();
    private readonly UsageAnalyticsRuntime _runtime = new();
    private readonly SyncStatus _sync = new();
    private readonly StoreSignalsSource _store = new();
    private readonly AnalyticsOptions _options = new() { BufferCapacity = 16, IngressShards = 1 };
    private UsageRecorder? _recorder;

    private UsageRecorder Recorder => _recorder ??= _runtime.GetRecorder(_options);

    private UsageAnalyticsHealthCheck Check() => new(_runtime, () => Recorder, _sync, _store, _time);

    private IActorRef Start(IActorRef? pump = null)
    {
        pump ??= Sys.ActorOf(Props.Empty);
        _ = Recorder;
        _runtime.MarkStarted(Sys, pump, _options);
        return pump;
    }

    private static Task<HealthCheckResult> Run(UsageAnalyticsHealthCheck check) => check.CheckHealthAsync(new HealthCheckContext());

    private static string[] Reasons(HealthCheckResult result) => result.Data.TryGetValue("reasons", out var r) ? (string[])r : [];

    [Fact]
    public async Task Without_registration_or_before_start_it_is_unhealthy_and_says_why()
    {
        var unregistered = await new UsageAnalyticsHealthCheck(null, () => null, null, null, _time).CheckHealthAsync(new HealthCheckContext());
        var notStarted = await Run(Check());

        Assert.Equal(HealthStatus.Unhealthy, unregistered.Status);
        Assert.Contains("AddUsageAnalytics", unregistered.Description);
        Assert.Equal(HealthStatus.Unhealthy, notStarted.Status);
        Assert.Contains("WithUsageAnalytics", notStarted.Description);
    }

    [Fact]
    public async Task A_running_pump_with_nothing_wrong_is_healthy_and_reports_its_counters()
    {
        Start();
        for (var i = 0; i < 3; i++) Recorder.RecordCompleted("gpt-4o", 1, 1);

        var result = await Run(Check());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(3L, result.Data["accepted"]);
        Assert.Equal(3L, result.Data["pending"]);
        Assert.False(result.Data.ContainsKey("reasons"));
        Assert.False(result.Data.ContainsKey("sync_pending"));
    }

    [Fact]
    public async Task A_stopped_pump_or_recorder_is_unhealthy()
    {
        var pump = Start();
        Watch(pump);
        Sys.Stop(pump);
        await ExpectTerminatedAsync(pump);

        var deadPump = await Run(Check());
        Recorder.MarkStopped();
        var stopped = await Run(Check());

        Assert.Equal(HealthStatus.Unhealthy, deadPump.Status);
        Assert.Contains("pump is not running", deadPump.Description);
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Contains("stopped", stopped.Description);
    }

    [Fact]
    public async Task A_pump_that_does_not_answer_in_time_is_unhealthy()
    {
        using var gate = new ManualResetEventSlim();
        var pump = Sys.ActorOf(Props.Create(() => new BlockingActor(gate)));
        pump.Tell("block");
        _options.Health.PumpTimeout = TimeSpan.FromMilliseconds(50);
        Start(pump);

        var result = await Run(Check());
        gate.Set();

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("Analytics:Health:PumpTimeout", result.Description);
    }

    [Fact]
    public async Task Drops_degrade_the_check_for_the_drop_window_then_it_recovers()
    {
        Start();
        var check = Check();
        for (var i = 0; i < 20; i++) Recorder.RecordCompleted("gpt-4o", 1, 1);

        var dropped = await Run(check);
        _time.Advance(_options.Health.DropWindow - TimeSpan.FromSeconds(1));
        var stillRecent = await Run(check);
        _time.Advance(TimeSpan.FromSeconds(2));
        var recovered = await Run(check);
        Recorder.RecordCompleted("gpt-4o", 1, 1);
        var droppedAgain = await Run(check);

        Assert.Equal(HealthStatus.Degraded, dropped.Status);
        Assert.Contains("ingress ring was full (4 since start", Assert.Single(Reasons(dropped)));
        Assert.Equal(HealthStatus.Degraded, stillRecent.Status);
        Assert.Equal(HealthStatus.Healthy, recovered.Status);
        Assert.Equal(HealthStatus.Degraded, droppedAgain.Status);
        Assert.Contains("(5 since start", Assert.Single(Reasons(droppedAgain)));
    }

    [Fact]
    public async Task Sync_401_backlog_and_queue_drops_each_give_a_reason()
    {
        Start();
        _options.Health.SyncBacklogThreshold = 2;
        var metrics = new SyncMetrics();
        var tap = new EventTap(Channel.CreateBounded<AnalyticsEvent>(5).Writer, llmEventsOnly: true, isSubscription: false);
        metrics.Attach(tap);
        _sync.Attach(metrics);
        for (var i = 0; i < 7; i++) tap.Offer(new LlmRequestCompleted { Model = "gpt-4o", Provider = "openai" });
        metrics.Settle(new BatchOutcome(Delivered: 0, Duplicates: 0, Rejected: 1, Unauthorized: 1, Undelivered: 0));

        var result = await Run(Check());

        Assert.Equal(HealthStatus.Degraded, result.Status);
        var reasons = Reasons(result);
        Assert.Equal(3, reasons.Length);
        Assert.Contains(reasons, r => r.Contains("sync queue was full (2 since start)"));
        Assert.Contains(reasons, r => r.Contains("401") && r.Contains("Analytics:Sync:Token"));
        Assert.Contains(reasons, r => r.Contains("sync backlog is 4 events, above Analytics:Health:SyncBacklogThreshold (2)"));
        Assert.Equal(4L, result.Data["sync_pending"]);
        Assert.Equal(result.Description, string.Join("; ", reasons));
    }

    [Fact]
    public async Task The_store_s_signals_degrade_the_check_once_a_store_attached()
    {
        Start();
        _options.Health.StoreQueueThreshold = 10;
        var store = new FakeStore();
        var check = Check();
        var beforeStore = await Run(check);
        _store.Attach(store);
        store.Signals = new StoreSignals(Written: 100, Duplicates: 0, WriteFailures: 1, Dropped: 3, Queued: 11, WriteError: "database is locked");

        var result = await Run(check);
        store.Signals = store.Signals with { Queued = 10, WriteError = null };
        _time.Advance(_options.Health.DropWindow);
        var recovered = await Run(check);

        Assert.Equal(HealthStatus.Healthy, beforeStore.Status);
        Assert.Equal(HealthStatus.Degraded, result.Status);
        var reasons = Reasons(result);
        Assert.Equal(3, reasons.Length);
        Assert.Contains(reasons, r => r.Contains("store queue was full (3 since start)"));
        Assert.Contains(reasons, r => r.Contains("store queue holds 11 events, above Analytics:Health:StoreQueueThreshold (10)"));
        Assert.Contains("the store cannot write: database is locked", reasons);
        Assert.Equal(HealthStatus.Healthy, recovered.Status);
    }

    private sealed class FakeStore : IStoreSignals
    {
        public volatile StoreSignalsBox Box = new(default);

        public StoreSignals Signals
        {
            get => Box.Value;
            set => Box = new StoreSignalsBox(value);
        }

        public StoreSignals Read() => Box.Value;
    }

    private sealed record StoreSignalsBox(StoreSignals Value);

    [Fact]
    public async Task Budget_requests_the_budget_queue_refused_degrade_it_for_the_drop_window()
    {
        Start();
        var budgets = new StubBudgets();
        var check = new UsageAnalyticsHealthCheck(_runtime, () => Recorder, _sync, _store, _time, budgets);

        var quiet = await Run(check);
        budgets.Unevaluated = 7;
        var dropped = await Run(check);
        _time.Advance(_options.Health.DropWindow);
        var later = await Run(check);

        Assert.Equal((HealthStatus.Healthy, 0L), (quiet.Status, (long)quiet.Data["budget_not_evaluated"]));
        Assert.Equal(HealthStatus.Degraded, dropped.Status);
        Assert.Contains(Reasons(dropped), r => r.StartsWith("requests were not counted in budgets because the budget queue was full (7 since start)", StringComparison.Ordinal));
        Assert.Equal((HealthStatus.Healthy, 7L), (later.Status, (long)later.Data["budget_not_evaluated"]));
    }

    private sealed class StubBudgets : IBudgetStatus
    {
        public long Unevaluated { get; set; }

        public bool Enabled => true;

        public IReadOnlyList<BudgetStatus> All => [];

        public long UnevaluatedRequests => Unevaluated;

        public BudgetStatus? Get(string name) => null;

        public IReadOnlyList<BudgetStatus> ForAgent(string agentId) => [];

        public IReadOnlyList<BudgetStatus> ForModel(string model) => [];

        public IReadOnlyList<BudgetStatus> ForProvider(string provider) => [];
    }

    private sealed class BlockingActor : ReceiveActor
    {
        public BlockingActor(ManualResetEventSlim gate) => ReceiveAny(_ => gate.Wait());
    }
}
