using System.Collections.Frozen;
using Analytics.Contracts;

namespace Analytics.Actors.Budgets;

/// <summary>
/// The statuses the evaluator publishes, read by any thread without a lock or an actor: the evaluator swaps in new
/// immutable <see cref="BudgetStatus"/> objects (and the per-agent, per-model and per-provider arrays holding them), a
/// reader does one dictionary lookup and volatile reads. Read after a window ended and before the evaluator published
/// again (a few milliseconds), a status is handed out for the new window with nothing spent.
/// </summary>
internal sealed class BudgetBoard
{
    private readonly TimeProvider _time;
    private readonly BudgetDefinition[] _budgets;
    private readonly BudgetStatus?[] _current;
    private readonly FrozenDictionary<string, int> _byName;
    private readonly Group _everything;
    private readonly FrozenDictionary<string, Group> _agents, _models, _providers;
    private readonly Group[][] _groupsOf;
    private readonly Group _all;
    private readonly HashSet<Group> _dirty = [];

    public BudgetBoard(IReadOnlyList<BudgetDefinition> budgets, TimeProvider time)
    {
        _time = time;
        _budgets = [.. budgets];
        _current = new BudgetStatus?[_budgets.Length];
        _byName = Enumerable.Range(0, _budgets.Length).ToFrozenDictionary(i => _budgets[i].Name, StringComparer.OrdinalIgnoreCase);
        var everything = Members(b => b.CountsEverything);
        _everything = new Group(everything);
        _all = new Group(Enumerable.Range(0, _budgets.Length).ToArray());
        _agents = Groups(BudgetScope.Agent, everything, StringComparer.Ordinal);
        _models = Groups(BudgetScope.Model, everything, StringComparer.Ordinal);
        _providers = Groups(BudgetScope.Provider, everything, StringComparer.OrdinalIgnoreCase);
        var groups = new[] { _everything, _all }.Concat(_agents.Values).Concat(_models.Values).Concat(_providers.Values).ToArray();
        _groupsOf = Enumerable.Range(0, _budgets.Length).Select(i => groups.Where(g => g.Members.Contains(i)).ToArray()).ToArray();
    }

    public BudgetStatus? Get(string name) => _byName.TryGetValue(name, out var i) && Volatile.Read(ref _current[i]) is { } s ? Current(s) : null;

    public IReadOnlyList<BudgetStatus> ForAgent(string agentId) => Read(_agents.GetValueOrDefault(agentId) ?? _everything);

    public IReadOnlyList<BudgetStatus> ForModel(string model) => Read(_models.GetValueOrDefault(model) ?? _everything);

    public IReadOnlyList<BudgetStatus> ForProvider(string provider) => Read(_providers.GetValueOrDefault(provider) ?? _everything);

    public IReadOnlyList<BudgetStatus> All => Read(_all);

    /// <summary>Evaluator only: the new status of budget <paramref name="index"/>, visible once <see cref="Commit"/> runs.</summary>
    public void Stage(int index, BudgetStatus status)
    {
        Volatile.Write(ref _current[index], status);
        foreach (var group in _groupsOf[index]) _dirty.Add(group);
    }

    /// <summary>Evaluator only: rebuilds the arrays of the groups whose members changed.</summary>
    public void Commit()
    {
        foreach (var group in _dirty)
        {
            var statuses = new BudgetStatus[group.Members.Length];
            var complete = true;
            for (var i = 0; i < statuses.Length; i++) complete &= (statuses[i] = _current[group.Members[i]]!) is not null;
            if (complete) Volatile.Write(ref group.Statuses, statuses);
        }
        _dirty.Clear();
    }

    private IReadOnlyList<BudgetStatus> Read(Group group)
    {
        var statuses = Volatile.Read(ref group.Statuses);
        var now = _time.GetUtcNow();
        for (var i = 0; i < statuses.Length; i++)
        {
            if (now < statuses[i].WindowEnd) continue;
            // A window ended since the evaluator last published: hand out the new window (rare, so the copy is fine).
            var rolled = (BudgetStatus[])statuses.Clone();
            for (var j = i; j < rolled.Length; j++) rolled[j] = Current(rolled[j], now);
            return rolled;
        }
        return statuses;
    }

    private BudgetStatus Current(BudgetStatus status) => Current(status, _time.GetUtcNow());

    private static BudgetStatus Current(BudgetStatus status, DateTimeOffset now)
    {
        if (now < status.WindowEnd) return status;
        var nowMs = now.ToUnixTimeMilliseconds();
        var start = BudgetWindows.Start(status.Window, nowMs);
        return status with
        {
            WindowStart = BudgetWindows.ToDate(start),
            WindowEnd = BudgetWindows.ToDate(BudgetWindows.End(status.Window, start)),
            SpentMicros = 0,
            ThresholdsCrossed = [],
            Incomplete = false,
            AsOf = now,
        };
    }

    private int[] Members(Func<BudgetDefinition, bool> predicate) => Enumerable.Range(0, _budgets.Length).Where(i => predicate(_budgets[i])).ToArray();

    private FrozenDictionary<string, Group> Groups(BudgetScope scope, int[] everything, StringComparer comparer)
        => Enumerable.Range(0, _budgets.Length)
            .Where(i => _budgets[i].Scope == scope && !_budgets[i].CountsEverything)
            .GroupBy(i => _budgets[i].Value, comparer)
            .ToFrozenDictionary(g => g.Key, g => new Group([.. g.Concat(everything).Order()]), comparer);

    /// <summary>Budgets read together (those counting one agent, say), with their statuses as one array.</summary>
    private sealed class Group(int[] members)
    {
        public readonly int[] Members = members;
        public BudgetStatus[] Statuses = [];
    }
}
