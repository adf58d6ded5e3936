namespace Analytics.Contracts;

/// <summary>What a budget counts: the requests of one agent, one model or one provider (or, with the value <c>*</c>, every request).</summary>
public enum BudgetScope
{
    /// <summary>Requests whose agent id is the budget's value.</summary>
    Agent,

    /// <summary>Requests whose model name, as recorded, is the budget's value.</summary>
    Model,

    /// <summary>Requests whose canonical provider (lowercase, as in the stats) is the budget's value.</summary>
    Provider,
}
