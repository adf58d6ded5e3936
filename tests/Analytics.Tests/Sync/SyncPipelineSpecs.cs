using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Analytics.Actors.Sync;
using Analytics.Contracts;
using Xunit;
using Xunit.Abstractions;

namespace Analytics.Tests.Sync;

/// <summary>The delivery graph alone, between stream probes: batching, filtering, parallelism, failure handling.</summary>
public sealed class SyncPipelineSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly IMaterializer _materializer;
    private readonly ConcurrentQueue<IReadOnlyList<AnalyticsEvent>> _batches = new();

    public SyncPipelineSpecs(ITestOutputHelper output) : base(output: output) => _materializer = Sys.Materializer();

    private Task<BatchOutcome> Record(IReadOnlyList<AnalyticsEvent> batch)
    {
        _batches.Enqueue(batch);
        return Task.FromResult(new BatchOutcome(batch.Count, 0, 0, 0, 0));
    }

    private (TestPublisher.Probe<AnalyticsEvent> Events, TestSubscriber.Probe<BatchOutcome> Outcomes) Run(
        int batchSize, TimeSpan interval, int parallelism, Func<IReadOnlyList<AnalyticsEvent>, Task<BatchOutcome>> deliver)
        => this.SourceProbe<AnalyticsEvent>()
            .ViaDelivery(batchSize, interval, parallelism, deliver)
            .ToMaterialized(this.SinkProbe<BatchOutcome>(), Keep.Both)
            .Run(_materializer);

    [Fact]
    public void Full_batches_go_at_BatchSize_and_the_tail_goes_on_completion()
    {
        var (events, outcomes) = Run(batchSize: 10, interval: TimeSpan.FromHours(1), parallelism: 2, Record);
        outcomes.Request(100);
        for (var i = 0; i < 25; i++) events.SendNext(SyncTestSupport.Completed());

        Assert.Equal(10, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Delivered);
        Assert.Equal(10, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Delivered);
        // The hour-long interval cannot have fired: only the upstream completion releases the partial batch.
        outcomes.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        events.SendComplete();
        Assert.Equal(5, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Delivered);
        outcomes.ExpectComplete();
        Assert.Equal([10, 10, 5], _batches.Select(b => b.Count));
    }

    [Fact]
    public void A_partial_batch_goes_when_the_interval_passes()
    {
        var (events, outcomes) = Run(batchSize: 10, interval: TimeSpan.FromMilliseconds(200), parallelism: 1, Record);
        outcomes.Request(10);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++) events.SendNext(SyncTestSupport.Completed());

        var outcome = outcomes.ExpectNext(TimeSpan.FromSeconds(5));
        Assert.Equal(3, outcome.Delivered);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"a partial batch went after {clock.Elapsed}, before the interval");

        events.SendNext(SyncTestSupport.Completed());
        Assert.Equal(1, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Delivered);
        events.SendComplete();
        outcomes.ExpectComplete();
    }

    [Fact]
    public void Only_completed_and_failed_LLM_events_are_delivered()
    {
        var (events, outcomes) = Run(batchSize: 10, interval: TimeSpan.FromHours(1), parallelism: 1, Record);
        outcomes.Request(10);
        events.SendNext(SyncTestSupport.Completed(id: "c"));
        events.SendNext(new RouterStarted { EventId = "r", Port = 8080 });
        events.SendNext(new BudgetThresholdReached { EventId = "b", ThresholdPercent = 80 });
        events.SendNext(SyncTestSupport.Failed(id: "f"));
        events.SendNext(new RouterStopped { EventId = "s" });
        events.SendComplete();

        Assert.Equal(2, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Delivered);
        outcomes.ExpectComplete();
        Assert.Equal(["c", "f"], Assert.Single(_batches).Select(e => e.EventId));
    }

    [Fact]
    public void At_most_Parallelism_batches_are_in_delivery_and_a_slow_batch_does_not_hold_finished_ones()
    {
        var gates = new ConcurrentQueue<TaskCompletionSource<BatchOutcome>>();
        var started = 0;
        Task<BatchOutcome> Deliver(IReadOnlyList<AnalyticsEvent> batch)
        {
            Interlocked.Increment(ref started);
            var gate = new TaskCompletionSource<BatchOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            gates.Enqueue(gate);
            return gate.Task;
        }

        var outcomes = Source.From(Enumerable.Range(0, 4).Select(_ => (AnalyticsEvent)SyncTestSupport.Completed()))
            .ViaDelivery(batchSize: 1, interval: TimeSpan.FromHours(1), parallelism: 2, Deliver)
            .RunWith(this.SinkProbe<BatchOutcome>(), _materializer);
        outcomes.Request(10);

        AwaitAssert(() => Assert.Equal(2, Volatile.Read(ref started)), TimeSpan.FromSeconds(5));
        outcomes.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        Assert.Equal(2, Volatile.Read(ref started)); // the third waits for a free slot

        gates.TryDequeue(out var first);
        first!.SetResult(new BatchOutcome(1, 0, 0, 0, 0));
        Assert.Equal(1, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Delivered);
        AwaitAssert(() => Assert.Equal(3, Volatile.Read(ref started)), TimeSpan.FromSeconds(5));

        // Finish the later batch while the earlier one is still backing off: its outcome comes out at once and
        // its slot goes to the next batch, so one slow batch cannot stall delivery after a fault burst.
        var pending = gates.ToArray();
        pending[1].SetResult(new BatchOutcome(0, 0, 1, 0, 0));
        Assert.Equal(1, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Rejected);
        AwaitAssert(() => Assert.Equal(4, Volatile.Read(ref started)), TimeSpan.FromSeconds(5));
        pending[0].SetResult(new BatchOutcome(0, 0, 0, 0, 1));
        Assert.Equal(1, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Undelivered);
        gates.Last().SetResult(new BatchOutcome(1, 1, 0, 0, 0));
        Assert.Equal(1, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Duplicates);
        outcomes.ExpectComplete();
    }

    [Fact]
    public void A_delivery_that_throws_counts_its_batch_undelivered_and_the_stream_goes_on()
    {
        var calls = 0;
        Task<BatchOutcome> Deliver(IReadOnlyList<AnalyticsEvent> batch) =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("boom") : Record(batch);

        var (events, outcomes) = Run(batchSize: 3, interval: TimeSpan.FromHours(1), parallelism: 1, Deliver);
        outcomes.Request(10);
        for (var i = 0; i < 6; i++) events.SendNext(SyncTestSupport.Completed());
        events.SendComplete();

        Assert.Equal(BatchOutcome.AllUndelivered(3), outcomes.ExpectNext(TimeSpan.FromSeconds(5)));
        Assert.Equal(3, outcomes.ExpectNext(TimeSpan.FromSeconds(5)).Delivered);
        outcomes.ExpectComplete();
    }

    [Fact]
    public void Metrics_keep_the_identity_and_a_late_batch_after_close_moves_out_of_undelivered()
    {
        var metrics = new SyncMetrics();
        var queue = System.Threading.Channels.Channel.CreateBounded<AnalyticsEvent>(3);
        var tap = new Analytics.Actors.Ingress.EventTap(queue.Writer, llmEventsOnly: true, isSubscription: false);
        metrics.Attach(tap);
        for (var i = 0; i < 5; i++) tap.Offer(SyncTestSupport.Completed());
        tap.Offer(new RouterStarted { EventId = "r" }); // not an LLM event: neither handed nor dropped

        metrics.Settle(new BatchOutcome(1, 1, 0, 0, 0));
        var before = metrics.Snapshot();
        Assert.Equal((3L, 2L, 1L, 2L), (before.HandedToSync, before.SyncDropped, before.Delivered, before.Pending));

        Assert.Equal(2, metrics.Close());
        Assert.Equal(0, metrics.Close());
        var closed = metrics.Snapshot();
        Assert.Equal((2L, 0L), (closed.Undelivered, closed.Pending));

        metrics.Settle(new BatchOutcome(1, 0, 0, 0, 0)); // a result that arrived after the books were closed
        var late = metrics.Snapshot();
        Assert.Equal((2L, 1L, 0L), (late.Delivered, late.Undelivered, late.Pending));
        Assert.Equal(late.HandedToSync, late.Delivered + late.Rejected + late.Undelivered + late.Pending);
    }
}
