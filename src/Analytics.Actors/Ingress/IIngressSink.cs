namespace Analytics.Actors.Ingress;

/// <summary>The consumer's fold of one drained record, a struct so the drain loop is specialised and the call inlined.</summary>
internal interface IIngressSink
{
    /// <summary>Folds one record; it is only valid during the call (the slot is reused afterwards).</summary>
    void Fold(in IngressRecord record);
}
