using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Tests.Ingress;

/// <summary>A producer thread's own ring: exact capacity, order, the wake mark, and a real producer racing a real consumer.</summary>
public sealed class IngressSegmentSpecs
{
    private static bool Write(IngressSegment segment, long tag)
    {
        ref var slot = ref segment.TryClaim();
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref slot)) return false;
        slot = new IngressRecord { Kind = AnalyticsEventKind.LlmRequestCompleted, Model = "m", InputTokens = tag };
        segment.Publish();
        return true;
    }

    private static int Read(IngressSegment segment, CollectingSink sink, int max = int.MaxValue) => segment.Drain(ref sink, segment.TailSnapshot(), max);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(300)]
    public void Capacity_is_exact_and_a_full_segment_refuses_the_next_write(int capacity)
    {
        var segment = new IngressSegment(capacity);
        for (var i = 0; i < capacity; i++) Assert.True(Write(segment, i), $"write {i} of {capacity}");
        Assert.False(Write(segment, -1));
        Assert.Equal(capacity, segment.Accepted);
        Assert.Equal(0, segment.Consumed);
    }

    [Fact]
    public void Reads_come_back_in_write_order_across_many_laps_and_free_room_as_they_go()
    {
        var segment = new IngressSegment(7);
        var sink = new CollectingSink();
        long next = 0;
        for (var round = 0; round < 500; round++)
        {
            for (var i = 0; i < round % 7 + 1 && Write(segment, next); i++) next++;
            Read(segment, sink, (round * 3) % 7 + 1);
        }
        Read(segment, sink);
        Assert.Equal(Enumerable.Range(0, (int)next).Select(i => (long)i), sink.Records.Select(r => r.InputTokens));
        Assert.Equal(next, segment.Consumed);
        Assert.True(next > 7 * 50, "the test must wrap the ring many times");
    }

    [Fact]
    public void Publish_reports_the_wake_mark_and_a_refresh_sees_what_the_consumer_took()
    {
        var segment = new IngressSegment(100);
        segment.SetWakeMark(50);
        var sink = new CollectingSink();
        for (var i = 0; i < 49; i++)
        {
            segment.TryClaim();
            Assert.False(segment.Publish(), $"event {i + 1} of 100 is below half");
        }
        segment.TryClaim();
        Assert.True(segment.Publish());
        Assert.True(segment.IsFilling());
        Assert.True(segment.RefreshFill());

        Read(segment, sink, 10);
        Assert.False(segment.IsFilling());
        // The producer's view of the head is stale until it refreshes: Publish still says "check", the refresh says no.
        segment.TryClaim();
        Assert.True(segment.Publish());
        Assert.False(segment.RefreshFill());
        segment.TryClaim();
        Assert.False(segment.Publish());
    }

    [Fact]
    public void A_producer_thread_racing_a_consumer_thread_loses_nothing_and_keeps_its_order()
    {
        const int events = 2_000_000;
        var segment = new IngressSegment(1_000);
        long expected = 0, outOfOrder = 0, read = 0;
        using var done = new CancellationTokenSource();
        var sink = new CollectingSink();
        var consumer = new Thread(() =>
        {
            while (true)
            {
                if (Read(segment, sink, 64) > 0)
                {
                    // No asserts on this thread: an exception here would take the test host down.
                    foreach (var r in sink.Records)
                    {
                        if (r.InputTokens != expected) outOfOrder++;
                        expected = r.InputTokens + 1;
                    }
                    read += sink.Records.Count;
                    sink.Records.Clear();
                }
                else if (done.IsCancellationRequested && segment.Consumed == segment.Accepted) break;
                else Thread.SpinWait(8);
            }
        });
        consumer.Start();
        var producer = new Thread(() =>
        {
            for (long i = 0; i < events; i++)
            {
                while (!Write(segment, i)) Thread.SpinWait(8); // full: wait for the consumer
            }
        });
        producer.Start();
        producer.Join();
        done.Cancel();
        consumer.Join();

        Assert.Equal(events, read);
        Assert.Equal(0, outOfOrder);
        Assert.Equal(events, segment.Accepted);
    }
}
