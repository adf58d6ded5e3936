using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Tests.Ingress;

/// <summary>Per-thread segments plus the shared ring: the split, the leases, overflow, and accounting under racing threads.</summary>
public sealed class IngressBufferSpecs
{
    private static readonly IngressRecord Record = new() { Kind = AnalyticsEventKind.LlmRequestCompleted, Model = "m", InputTokens = 1 };

    private static long DrainAll(IngressBuffer buffer)
    {
        var sink = new CollectingSink();
        long drained = 0;
        foreach (var s in buffer.Segments) drained += s.Drain(ref sink, s.TailSnapshot(), int.MaxValue);
        drained += buffer.Shared.Drain(ref sink, buffer.Shared.TailSnapshot(), int.MaxValue, wait: false);
        return drained;
    }

    private static void OnNewThread(Action action)
    {
        var thread = new Thread(() => action());
        thread.Start();
        thread.Join();
    }

    [Theory]
    [InlineData(10_000, 0)]
    [InlineData(10_000, 4)]
    [InlineData(10_000, 64)]
    [InlineData(16_777_216, 64)]
    [InlineData(17, 8)]
    [InlineData(3, 8)]
    public void Total_capacity_is_exactly_what_was_asked_and_the_shared_ring_has_at_least_half(int capacity, int segments)
    {
        var buffer = new IngressBuffer(capacity, segments);
        Assert.Equal(capacity, buffer.Shared.Capacity + buffer.Segments.Sum(s => s.Capacity));
        Assert.Equal(capacity, buffer.Capacity);
        Assert.True(buffer.Shared.Capacity * 2 >= capacity, $"shared {buffer.Shared.Capacity} of {capacity}");
        Assert.All(buffer.Segments, s => Assert.True(s.Capacity >= IngressBuffer.MinSegmentCapacity, $"a segment of {s.Capacity}"));
        if (segments > 0) Assert.True(buffer.Segments.Length <= segments);
    }

    [Fact]
    public void No_segments_puts_every_write_through_the_shared_ring()
    {
        var buffer = new IngressBuffer(10_000, IngressBuffer.NoSegments);
        Assert.Empty(buffer.Segments);
        Assert.Equal(10_000, buffer.Shared.Capacity);
        Assert.Null(buffer.ThreadSegment());
        Assert.True(buffer.TryWrite(Record));
        Assert.Equal(1, buffer.Shared.Accepted);
    }

    [Fact]
    public void Each_thread_writes_to_a_segment_of_its_own_and_keeps_it()
    {
        var buffer = new IngressBuffer(4_096, segments: 4);
        var mine = buffer.ThreadSegment();
        IngressSegment? theirs = null;
        OnNewThread(() => theirs = buffer.ThreadSegment());

        Assert.NotNull(mine);
        Assert.NotNull(theirs);
        Assert.NotSame(mine, theirs);
        Assert.Same(mine, buffer.ThreadSegment());
        Assert.True(buffer.TryWrite(Record));
        Assert.Equal(1, mine.Accepted);
        Assert.Equal(0, buffer.Shared.Accepted);
    }

    [Fact]
    public void A_thread_keeps_one_segment_per_buffer_it_writes_to()
    {
        var first = new IngressBuffer(4_096, segments: 2);
        var second = new IngressBuffer(4_096, segments: 2);
        var a = first.ThreadSegment();
        var b = second.ThreadSegment();

        Assert.Same(a, first.ThreadSegment());
        Assert.Same(b, second.ThreadSegment());
        Assert.Contains(a, first.Segments);
        Assert.Contains(b, second.Segments);
    }

    [Fact]
    public void One_thread_fills_its_segment_then_the_shared_ring_before_anything_is_dropped()
    {
        var buffer = new IngressBuffer(2_048, segments: 2); // two segments of 512, a shared ring of 1,024
        var accepted = 0;
        for (var i = 0; i < 2_000; i++)
        {
            if (buffer.WriteOrDrop(Record)) accepted++;
        }
        Assert.Equal(1_536, accepted);
        Assert.Equal(512, buffer.ThreadSegment()!.Accepted);
        Assert.Equal(1_024, buffer.Shared.Accepted);
        Assert.Equal(464, buffer.Dropped);
        Assert.Equal(1_536, buffer.Pending);
    }

    [Fact]
    public void Try_write_on_a_full_buffer_counts_no_drop()
    {
        var buffer = new IngressBuffer(16);
        for (var i = 0; i < 16; i++) Assert.True(buffer.TryWrite(Record));
        Assert.False(buffer.TryWrite(Record));
        Assert.Equal(0, buffer.Dropped);
    }

    [Fact]
    public void Threads_beyond_the_segments_share_the_ring_and_take_a_segment_over_once_its_holder_died()
    {
        var buffer = new IngressBuffer(2_048, segments: 1);
        using var holderMayEnd = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            buffer.TryWrite(Record);
            holderMayEnd.Wait();
        });
        holder.Start();
        var segment = Assert.Single(buffer.Segments);
        while (segment.Accepted == 0) Thread.Yield(); // the holder's write is in its segment

        // While the holder lives, this thread finds no free segment: it writes through the shared ring.
        Assert.True(segment.IsLeased);
        Assert.Null(buffer.ThreadSegment());
        Assert.True(buffer.TryWrite(Record));
        Assert.Equal(1, buffer.Shared.Accepted);

        holderMayEnd.Set();
        holder.Join();
        // No garbage collection needed: a dead holder frees its segment, and the next lease attempt takes it over.
        Assert.False(segment.IsLeased);
        for (var i = 0; i < IngressBuffer.RetryLeaseEvery; i++) buffer.ThreadSegment();
        Assert.Same(segment, buffer.ThreadSegment());
        Assert.True(buffer.TryWrite(Record));
        Assert.Equal(2, segment.Accepted);
        Assert.Equal(3, DrainAll(buffer));
    }

    [Fact]
    public void A_dead_threads_lease_is_finalized_without_taking_the_segment_from_a_thread_that_took_it_over()
    {
        var buffer = new IngressBuffer(2_048, segments: 1);
        OnNewThread(() => buffer.TryWrite(Record));
        var segment = Assert.Single(buffer.Segments);
        Assert.Same(segment, buffer.ThreadSegment()); // taken over from the dead thread

        // The dead thread's lease becomes garbage; its finalizer must not release what this thread now holds.
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.True(segment.IsLeased);
        var other = true;
        OnNewThread(() => other = buffer.ThreadSegment() is not null);
        Assert.False(other);
    }

    [Fact]
    public void With_a_tiny_ring_and_racing_threads_accepted_plus_dropped_equals_attempted_and_everything_accepted_is_read()
    {
        const int producers = 6, perProducer = 100_000;
        var buffer = new IngressBuffer(2_048, segments: 2);
        long drained = 0;
        var stop = 0;
        var consumer = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0 || buffer.Pending > 0) drained += DrainAll(buffer);
        });
        consumer.Start();
        var threads = new Thread[producers];
        for (var p = 0; p < producers; p++)
        {
            threads[p] = new Thread(() =>
            {
                for (var i = 0; i < perProducer; i++) buffer.WriteOrDrop(Record);
            });
            threads[p].Start();
        }
        foreach (var t in threads) t.Join();
        Volatile.Write(ref stop, 1);
        consumer.Join();

        Assert.Equal(producers * perProducer, buffer.Accepted + buffer.Dropped);
        Assert.Equal(buffer.Accepted, drained);
        Assert.True(buffer.Shared.Accepted > 0, "four of the six threads had no segment and wrote through the shared ring");
    }
}
