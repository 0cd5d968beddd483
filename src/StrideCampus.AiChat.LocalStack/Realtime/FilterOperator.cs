namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>The postgres_changes filter operators Supabase Realtime accepts (PostgREST syntax).</summary>
internal enum FilterOperator
{
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
}
