"""The Alembic revisions of hanbao's schema, oldest first in ``versions/``."""

NO_DOWNGRADE = (
    "hanbao không hạ cấp lược đồ (sẽ mất dữ liệu): khôi phục bản sao lưu đã tạo trước `hanbao "
    "db upgrade` / downgrades are not supported, they would lose data: restore the backup"
)
