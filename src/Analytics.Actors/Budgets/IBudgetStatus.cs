using Analytics.Contracts;

namespace Analytics.Actors;

/// <summary>
/// The budgets' current windows, from DI (after <c>services.AddUsageAnalytics(configuration)</c>), for a gateway to check
/// before it forwards a request. Every read is O(1) in the number of events and takes no lock and no actor round trip:
/// it returns the immutable <see cref="BudgetStatus"/> objects the budget evaluator last published. They are fresh to
/// within the pump's pick-up of a recorded request (at most <c>Analytics:PollInterval</c> while requests arrive, up
/// to <c>Analytics:DrainInterval</c> after a quiet spell) plus the hop to the evaluator (see the README, "Budgets").
/// </summary>
/// <remarks>
/// Without budgets (<c>Analytics:Budgets</c> empty) or before the host started, <see cref="Enabled"/> is false,
/// <see cref="Get"/> returns null and the lists are empty. After the host stopped, the last statuses stay readable.
/// </remarks>
public interface IBudgetStatus
{
    /// <summary>True once budgets are configured and their evaluator runs (or ran: the host stopped).</summary>
    bool Enabled { get; }

    /// <summary>The budget named <paramref name="name"/> (ignoring case), or null when there is none.</summary>
    /// <param name="name">The budget's configuration key.</param>
    /// <returns>Its current window.</returns>
    BudgetStatus? Get(string name);

    /// <summary>
    /// The budgets that count the requests of <paramref name="agentId"/> whatever their model: those of scope
    /// <see cref="BudgetScope.Agent"/> naming it, and every budget with the value <c>*</c>. The list is shared: do not cast and change it.
    /// </summary>
    /// <param name="agentId">The agent id, exact.</param>
    /// <returns>The budgets, in name order.</returns>
    IReadOnlyList<BudgetStatus> ForAgent(string agentId);

    /// <summary>The budgets that count the requests to <paramref name="model"/> (as recorded) whatever their agent: those naming it and every <c>*</c> budget.</summary>
    /// <param name="model">The model name, exact.</param>
    /// <returns>The budgets, in name order.</returns>
    IReadOnlyList<BudgetStatus> ForModel(string model);

    /// <summary>The budgets that count the requests of <paramref name="provider"/> (ignoring case): those naming it and every <c>*</c> budget.</summary>
    /// <param name="provider">The provider, for example <c>openai</c>.</param>
    /// <returns>The budgets, in name order.</returns>
    IReadOnlyList<BudgetStatus> ForProvider(string provider);

    /// <summary>Every budget, in name order.</summary>
    IReadOnlyList<BudgetStatus> All { get; }

    /// <summary>
    /// Completed requests never evaluated since start because the evaluator's queue was full (they still count in the
    /// stats and the store); statuses of windows they may belong to say <see cref="BudgetStatus.Incomplete"/>.
    /// </summary>
    long UnevaluatedRequests { get; }
}
