async fn delete(pool: &sqlx::PgPool, id: &str) -> sqlx::Result<()> {
    let q = format!("DELETE FROM items WHERE id = '{}'", id);
    sqlx::query(&q).execute(pool).await?;
    Ok(())
}
