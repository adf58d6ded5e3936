using System.Collections.Immutable;
using Analytics.Contracts;

namespace Analytics.Actors.Budgets;

/// <summary>A threshold a window's spend reached, once: recorded, stored and posted by the runner.</summary>
/// <param name="Budget">The budget.</param>
/// <param name="WindowStartMs">Start of the window (Unix ms, UTC).</param>
/// <param name="WindowEndMs">End of the window, exclusive.</param>
/// <param name="ThresholdPercent">The threshold reached.</param>
/// <param name="SpentMicros">The window's spend when it was reached.</param>
/// <param name="EventId">The id of the <see cref="BudgetThresholdReached"/> event (also the webhook's <c>event_id</c>).</param>
/// <param name="AtMs">When the evaluator saw it (Unix ms): the event's timestamp.</param>
internal sealed record BudgetCrossing(BudgetDefinition Budget, long WindowStartMs, long WindowEndMs, int ThresholdPercent, long SpentMicros, string EventId, long AtMs)
{
    /// <summary>The event recorded for the crossing.</summary>
    public BudgetThresholdReached ToEvent() => new()
    {
        EventId = EventId,
        TimestampMs = AtMs,
        AgentId = Budget is { Scope: BudgetScope.Agent, CountsEverything: false } ? Budget.Value : null,
        ThresholdPercent = ThresholdPercent,
        CurrentSpendMicros = SpentMicros,
        BudgetMicros = Budget.LimitMicros,
        BudgetName = Budget.Name,
        WindowStartMs = WindowStartMs,
    };
}

/// <summary>One budget window that saw spend, for the replay report (and any later listing of history).</summary>
/// <param name="Name">The budget.</param>
/// <param name="WindowStartMs">Start of the window (Unix ms, UTC).</param>
/// <param name="WindowEndMs">End of the window, exclusive.</param>
/// <param name="SpentMicros">Its spend.</param>
/// <param name="LimitMicros">The limit.</param>
/// <param name="ThresholdsCrossed">Thresholds crossed in it (in this run or recorded before), ascending.</param>
/// <param name="Incomplete">Events were dropped by the budget queue since the window started: the spend may be too low.</param>
internal sealed record BudgetWindowReport(string Name, long WindowStartMs, long WindowEndMs, long SpentMicros, long LimitMicros, ImmutableArray<int> ThresholdsCrossed,
    bool Incomplete)
{
    /// <summary>The row of a budget's current window, so a listing of statuses writes the same fields as the replay report.</summary>
    public static BudgetWindowReport Of(BudgetStatus status) => new(status.Name, status.WindowStart.ToUnixTimeMilliseconds(),
        status.WindowEnd == DateTimeOffset.MaxValue ? BudgetWindows.EndOfTimeMs : status.WindowEnd.ToUnixTimeMilliseconds(), status.SpentMicros, status.LimitMicros,
        status.ThresholdsCrossed, status.Incomplete);
}

/// <summary>What a store gives the evaluator at start, so a restart neither resets a budget nor repeats a crossing.</summary>
/// <param name="Crossed">Thresholds already recorded, by budget name and window start (only crossings of the budget's current definition).</param>
/// <param name="Spent">Each budget's spend in its window in progress at start, from the ledger's rollups: name to (window start, spend).</param>
/// <param name="StoredAtStart">True when an event id was in the ledger at start (its spend is in <paramref name="Spent"/> already).</param>
/// <param name="CheckBeforeMs">Events stamped at or after this cannot have been in the ledger at start (see <see cref="BudgetEvaluator"/>).</param>
internal sealed record BudgetResume(
    IReadOnlyDictionary<(string Name, long WindowStartMs), IReadOnlyList<int>> Crossed,
    IReadOnlyDictionary<string, (long WindowStartMs, long SpentMicros)> Spent,
    Func<string, bool> StoredAtStart,
    long CheckBeforeMs);

/// <summary>
/// The budgets' books, single-threaded (the runner's reader alone calls it): adds each completed request's cost to the
/// window its timestamp falls in, for every budget that counts it, and notes each threshold a window's spend reaches
/// for the first time. Spend is a sum, so the thresholds a window crosses do not depend on the order requests arrive
/// in; each is noted once because its bit is set in the window's mask, by this one thread.
/// </summary>
/// <remarks>
/// <para>Windows are kept per budget, up to <see cref="MaxWindowsPerBudget"/>; past that the oldest is forgotten and
/// requests of windows before it are counted in <see cref="Late"/> instead (only a replay of more than a year of
/// hourly history gets there).</para>
/// <para>With a store, the window in progress at start resumes the ledger's spend. A request whose id the ledger held at
/// start (a replayed log, a retried import) is in that spend already, so it is not added to a resumed window again;
/// the ledger is asked only for requests stamped before <see cref="BudgetResume.CheckBeforeMs"/> (shortly after start),
/// since a request stamped later cannot have been stored before the start.</para>
/// </remarks>
internal sealed class BudgetEvaluator
{
    /// <summary>Windows kept per budget (10,000 hours is more than a year).</summary>
    public const int MaxWindowsPerBudget = 10_000;

    private const int Unknown = -1, No = 0, Yes = 1;

    private readonly TimeProvider _time;
    private readonly BudgetResume? _resume;
    private readonly BudgetState[] _all;
    private readonly BudgetState[] _everything;
    private readonly Dictionary<string, BudgetState[]> _byAgent, _byModel, _byProvider;
    private readonly List<BudgetCrossing> _crossings = [];
    private long _evaluated, _skippedStored, _late, _evicted;
    private long _dropsNoticedAtMs = long.MinValue;
    private long _dropsSeen;

    public BudgetEvaluator(IReadOnlyList<BudgetDefinition> budgets, TimeProvider time, BudgetResume? resume = null)
    {
        _time = time;
        _resume = resume;
        _all = budgets.Select(b => new BudgetState(b)).ToArray();
        _everything = _all.Where(s => s.Definition.CountsEverything).ToArray();
        _byAgent = Index(BudgetScope.Agent, StringComparer.Ordinal);
        _byModel = Index(BudgetScope.Model, StringComparer.Ordinal);
        _byProvider = Index(BudgetScope.Provider, StringComparer.Ordinal); // both sides canonical (lowercase)
        if (resume is null) return;
        foreach (var state in _all)
        {
            if (!resume.Spent.TryGetValue(state.Definition.Name, out var spent)) continue;
            var window = state.Create(spent.WindowStartMs, CrossedMask(state.Definition, spent.WindowStartMs));
            window.Spent = spent.SpentMicros;
            window.Resumed = true;
        }
    }

    /// <summary>Completed requests evaluated.</summary>
    public long Evaluated => Volatile.Read(ref _evaluated);

    /// <summary>Requests not added to a resumed window because the ledger held them at start (their spend was resumed with it).</summary>
    public long SkippedStored => Volatile.Read(ref _skippedStored);

    /// <summary>Requests of windows older than the oldest one kept (see <see cref="MaxWindowsPerBudget"/>): not counted.</summary>
    public long Late => Volatile.Read(ref _late);

    /// <summary>Windows forgotten because a budget held <see cref="MaxWindowsPerBudget"/>.</summary>
    public long Evicted => Volatile.Read(ref _evicted);

    /// <summary>
    /// Tells the evaluator how many requests the feed dropped so far; when that grew, every window that had started by
    /// now is marked incomplete (a dropped request could belong to any of them).
    /// </summary>
    public void NoticeDrops(long dropped, long nowMs)
    {
        if (dropped <= _dropsSeen) return;
        _dropsSeen = dropped;
        _dropsNoticedAtMs = nowMs;
    }

    /// <summary>Adds one completed request to every budget that counts it.</summary>
    public void Evaluate(in SpendRecord r)
    {
        _evaluated++;
        if (r.CostMicros <= 0) return;
        var stored = Unknown;
        var late = false;
        if (_everything.Length > 0) Count(_everything, r, ref stored, ref late);
        if (r.AgentId is { } agent && _byAgent.Count > 0 && _byAgent.TryGetValue(agent, out var byAgent)) Count(byAgent, r, ref stored, ref late);
        if (_byModel.Count > 0 && _byModel.TryGetValue(r.Model, out var byModel)) Count(byModel, r, ref stored, ref late);
        if (_byProvider.Count > 0 && _byProvider.TryGetValue(r.Provider, out var byProvider)) Count(byProvider, r, ref stored, ref late);
        if (stored == Yes) _skippedStored++;
        if (late) _late++;
    }

    /// <summary>The crossings noted since the last call, in the order they happened.</summary>
    public List<BudgetCrossing> TakeCrossings()
    {
        if (_crossings.Count == 0) return [];
        var taken = new List<BudgetCrossing>(_crossings);
        _crossings.Clear();
        return taken;
    }

    /// <summary>
    /// Each budget's status in the window holding <paramref name="nowMs"/>, handed to <paramref name="publish"/> only
    /// when it changed since the last call (spend, crossings, window, completeness).
    /// </summary>
    public void Publish(long nowMs, Action<int, BudgetStatus> publish)
    {
        var asOf = BudgetWindows.ToDate(nowMs);
        for (var i = 0; i < _all.Length; i++)
        {
            var state = _all[i];
            var def = state.Definition;
            var start = BudgetWindows.Start(def.Window, nowMs);
            state.Windows.TryGetValue(start, out var window);
            var spent = window?.Spent ?? 0;
            var mask = window?.Mask ?? CrossedMask(def, start);
            var incomplete = _dropsNoticedAtMs >= start;
            if (state.Published is not null && start == state.PublishedStart && spent == state.PublishedSpent && mask == state.PublishedMask
                && incomplete == state.Published.Incomplete) continue;
            state.PublishedStart = start;
            state.PublishedSpent = spent;
            state.PublishedMask = mask;
            state.Published = new BudgetStatus
            {
                Name = def.Name,
                Scope = def.Scope,
                ScopeValue = def.Value,
                Window = def.Window,
                WindowStart = BudgetWindows.ToDate(start),
                WindowEnd = BudgetWindows.ToDate(BudgetWindows.End(def.Window, start)),
                SpentMicros = spent,
                LimitMicros = def.LimitMicros,
                Thresholds = def.ThresholdList,
                ThresholdsCrossed = def.Crossed(mask),
                Incomplete = incomplete,
                AsOf = asOf,
            };
            publish(i, state.Published);
        }
    }

    /// <summary>The earliest end of a window in progress at <paramref name="nowMs"/>: when statuses must be published again.</summary>
    public long NextBoundaryMs(long nowMs)
    {
        var next = long.MaxValue;
        foreach (var state in _all)
        {
            var window = state.Definition.Window;
            next = Math.Min(next, BudgetWindows.End(window, BudgetWindows.Start(window, nowMs)));
        }
        return next;
    }

    /// <summary>Every window that saw spend, by start then budget name.</summary>
    public List<BudgetWindowReport> Windows()
    {
        var list = new List<BudgetWindowReport>();
        foreach (var state in _all)
        {
            foreach (var w in state.Windows.Values)
            {
                if (w.Spent > 0)
                    list.Add(new BudgetWindowReport(state.Definition.Name, w.Start, w.End, w.Spent, state.Definition.LimitMicros, state.Definition.Crossed(w.Mask),
                        _dropsNoticedAtMs >= w.Start));
            }
        }
        list.Sort((a, b) => a.WindowStartMs != b.WindowStartMs ? a.WindowStartMs.CompareTo(b.WindowStartMs) : string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    private void Count(BudgetState[] states, in SpendRecord r, ref int stored, ref bool late)
    {
        foreach (var state in states)
        {
            var window = state.Window(r.TimestampMs, this);
            if (window is null)
            {
                late = true;
                continue;
            }
            if (window.Resumed && r.TimestampMs < _resume!.CheckBeforeMs && r.EventId is { } id)
            {
                if (stored == Unknown) stored = _resume.StoredAtStart(id) ? Yes : No;
                if (stored == Yes) continue;
            }
            var spent = window.Spent + r.CostMicros;
            window.Spent = spent < 0 ? long.MaxValue : spent; // saturates like every counter
            if (window.Mask != state.AllCrossed) Cross(state, window);
        }
    }

    /// <summary>Notes the thresholds the window's spend now reaches and had not (ascending: the first one not reached ends the scan).</summary>
    private void Cross(BudgetState state, WindowState window)
    {
        var def = state.Definition;
        for (var i = 0; i < def.Thresholds.Length; i++)
        {
            var bit = 1u << i;
            if ((window.Mask & bit) != 0) continue;
            if (!def.Reached(window.Spent, def.Thresholds[i])) return;
            window.Mask |= bit;
            var now = _time.GetUtcNow();
            _crossings.Add(new BudgetCrossing(def, window.Start, window.End, def.Thresholds[i], window.Spent, Guid.CreateVersion7(now).ToString("D"), now.ToUnixTimeMilliseconds()));
        }
    }

    private uint CrossedMask(BudgetDefinition def, long windowStartMs)
    {
        if (_resume is null || !_resume.Crossed.TryGetValue((def.Name, windowStartMs), out var thresholds)) return 0;
        var mask = 0u;
        foreach (var t in thresholds) mask |= def.Bit(t);
        return mask;
    }

    private Dictionary<string, BudgetState[]> Index(BudgetScope scope, StringComparer comparer)
        => _all.Where(s => s.Definition.Scope == scope && !s.Definition.CountsEverything)
            .GroupBy(s => s.Definition.Value, comparer)
            .ToDictionary(g => g.Key, g => g.ToArray(), comparer);

    private WindowState Evict(BudgetState state)
    {
        var oldest = state.Windows.Values.MinBy(w => w.Start)!;
        state.Windows.Remove(oldest.Start);
        state.Horizon = Math.Max(state.Horizon, oldest.End);
        if (ReferenceEquals(state.Last, oldest)) state.Last = null;
        _evicted++;
        return oldest;
    }

    /// <summary>One budget's windows and what was last published of it.</summary>
    private sealed class BudgetState(BudgetDefinition definition)
    {
        public BudgetDefinition Definition { get; } = definition;

        public uint AllCrossed { get; } = definition.Thresholds.Length == 32 ? uint.MaxValue : (1u << definition.Thresholds.Length) - 1;

        public Dictionary<long, WindowState> Windows { get; } = [];

        /// <summary>The window of the previous request: consecutive requests mostly share one.</summary>
        public WindowState? Last { get; set; }

        /// <summary>Windows starting before this were forgotten.</summary>
        public long Horizon { get; set; } = long.MinValue;

        public BudgetStatus? Published { get; set; }

        public long PublishedStart { get; set; }

        public long PublishedSpent { get; set; }

        public uint PublishedMask { get; set; }

        public WindowState? Window(long timestampMs, BudgetEvaluator evaluator)
        {
            if (Last is { } last && timestampMs >= last.Start && timestampMs < last.End) return last;
            var start = BudgetWindows.Start(Definition.Window, timestampMs);
            if (start < Horizon) return null;
            if (!Windows.TryGetValue(start, out var window))
            {
                window = Create(start, evaluator.CrossedMask(Definition, start));
                // A window older than every one kept, arriving when the budget is full, is forgotten at once.
                if (Windows.Count > MaxWindowsPerBudget && ReferenceEquals(evaluator.Evict(this), window)) return null;
            }
            return Last = window;
        }

        public WindowState Create(long start, uint mask)
        {
            var window = new WindowState(start, BudgetWindows.End(Definition.Window, start)) { Mask = mask };
            Windows[start] = window;
            return window;
        }
    }

    private sealed class WindowState(long start, long end)
    {
        public long Start { get; } = start;

        public long End { get; } = end;

        public long Spent { get; set; }

        public uint Mask { get; set; }

        /// <summary>Its spend was read from the ledger at start.</summary>
        public bool Resumed { get; set; }
    }
}
