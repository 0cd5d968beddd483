namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// The postgres_changes filter operators Supabase Realtime accepts (PostgREST syntax; supabase/realtime
/// <c>lib/extensions/postgres_cdc_rls/subscriptions.ex</c>, <c>@filter_types</c>).
/// </summary>
internal enum FilterOperator
{
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Like,
    ILike,
    Is,
    Match,
    IMatch,
    IsDistinct,
}
