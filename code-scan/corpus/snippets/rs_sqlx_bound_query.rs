use sqlx::PgPool;

pub async fn orders_for(pool: &PgPool, customer: &str) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as("SELECT id, status FROM orders WHERE customer = $1 ORDER BY id")
        .bind(customer)
        .fetch_all(pool)
        .await
}
