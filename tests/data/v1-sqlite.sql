-- A hanbao version-1 database (meta.schema_version 1, no Alembic table), sqlite, with data.
-- Made by the code of commit e589fe3 (the last before migrations): hanbao init, the sample
-- units, periodic obligations of 2027, two cases (one urgent report recorded), an ad-hoc
-- request, two tokens (one revoked), a used acknowledgement link, sweeps on 11/02 and 18/02/2027,
-- mail sent to a capture on 11/02 and left pending (relay down) on 18/02.
-- Restored by tests/test_migrations.py; never edit by hand.
BEGIN TRANSACTION;
CREATE TABLE ack_link (
	link_hash VARCHAR NOT NULL, 
	obligation_id INTEGER NOT NULL, 
	recipient VARCHAR NOT NULL, 
	used_at DATETIME NOT NULL, 
	PRIMARY KEY (link_hash), 
	FOREIGN KEY(obligation_id) REFERENCES obligation (id)
);
INSERT INTO "ack_link" VALUES('0000000000000000000000000000000000000000000000000000000000000000',39,'canbo@xa1.huyenmau.tinhmau.example','2027-02-11 03:30:00.000000');
CREATE TABLE api_token (
	id INTEGER NOT NULL, 
	token_hash VARCHAR NOT NULL, 
	unit VARCHAR NOT NULL, 
	role VARCHAR NOT NULL, 
	label VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (token_hash), 
	FOREIGN KEY(unit) REFERENCES unit (code)
);
INSERT INTO "api_token" VALUES(1,'17e6261dc8ce88f82675904d9450c38dc949852bca348ab40d07792ef8e20d9f','H01','supervisor','lãnh đạo huyện','2027-02-04 09:00:00.000000','2027-02-20 02:00:00.000000');
INSERT INTO "api_token" VALUES(2,'ecce4560282ab80710aa90eedc4e788a3949c3b1f65bc1ee756e43ebe3a436c3','X01','officer','cán bộ xã','2027-02-04 09:00:00.000000',NULL);
CREATE TABLE audit (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	actor VARCHAR NOT NULL, 
	action VARCHAR NOT NULL, 
	obligation_id INTEGER, 
	case_code VARCHAR, 
	detail VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "audit" VALUES(1,'2027-01-01 01:00:00.000000','cli','units_imported',NULL,NULL,'{"file": "units.sample.yaml", "count": 18}');
INSERT INTO "audit" VALUES(2,'2027-01-01 01:00:00.000000','cli','periodic_generated',NULL,NULL,'{"year": 2027, "created": 36}');
INSERT INTO "audit" VALUES(3,'2027-02-04 09:00:00.000000','cli','case_opened',NULL,'VV-2027-001','{"unit": "X03", "category": "xam_hai", "verified_at": "2027-02-04 15:00:00+07:00"}');
INSERT INTO "audit" VALUES(4,'2027-02-04 09:00:00.000000','cli','obligation_created',37,'VV-2027-001','{"kind": "urgent_report", "due_at": "2027-02-11 23:59:59+07:00"}');
INSERT INTO "audit" VALUES(5,'2027-02-04 09:00:00.000000','cli','obligation_created',38,'VV-2027-001','{"kind": "support_plan", "due_at": "2027-02-17 23:59:59+07:00"}');
INSERT INTO "audit" VALUES(6,'2027-02-05 03:00:00.000000','cli','case_opened',NULL,'VV-2027-002','{"unit": "X01", "category": "bao_luc", "verified_at": "2027-02-05 09:00:00+07:00"}');
INSERT INTO "audit" VALUES(7,'2027-02-05 03:00:00.000000','cli','obligation_created',39,'VV-2027-002','{"kind": "urgent_report", "due_at": "2027-02-11 23:59:59+07:00"}');
INSERT INTO "audit" VALUES(8,'2027-02-05 03:00:00.000000','cli','obligation_created',40,'VV-2027-002','{"kind": "support_plan", "due_at": "2027-02-17 23:59:59+07:00"}');
INSERT INTO "audit" VALUES(9,'2027-02-10 02:00:00.000000','cli','obligation_created',41,NULL,'{"kind": "adhoc_report", "due_at": "2027-02-26 17:00:00+07:00"}');
INSERT INTO "audit" VALUES(10,'2027-02-04 09:00:00.000000','cli','token_created',NULL,NULL,'{"token_id": 1, "unit": "H01", "role": "supervisor"}');
INSERT INTO "audit" VALUES(11,'2027-02-04 09:00:00.000000','cli','token_created',NULL,NULL,'{"token_id": 2, "unit": "X01", "role": "officer"}');
INSERT INTO "audit" VALUES(12,'2027-02-20 02:00:00.000000','cli','token_revoked',NULL,NULL,'{"token_id": 1}');
INSERT INTO "audit" VALUES(13,'2027-02-11 03:00:00.000000','cli','submitted',37,'VV-2027-001','{"submitted_at": "2027-02-11 09:00:00+07:00", "days_late": 0}');
INSERT INTO "audit" VALUES(14,'2027-02-11 03:00:00.000000','cli','obligation_created',42,'VV-2027-001','{"kind": "written_report", "due_at": "2027-02-15 23:59:59+07:00"}');
INSERT INTO "audit" VALUES(15,'2027-02-18 02:00:00.000000','sweep','late_flag',39,'VV-2027-002','{"unit": "X01", "parent": "H01", "step": "late_flag", "due_at": "2027-02-11 23:59:59+07:00"}');
INSERT INTO "audit" VALUES(16,'2027-02-18 02:00:00.000000','sweep','late_flag',42,'VV-2027-001','{"unit": "X03", "parent": "H01", "step": "late_flag", "due_at": "2027-02-15 23:59:59+07:00"}');
CREATE TABLE case_file (
	id INTEGER NOT NULL, 
	code VARCHAR NOT NULL, 
	unit VARCHAR NOT NULL, 
	category VARCHAR NOT NULL, 
	verified_at DATETIME NOT NULL, 
	opened_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (code), 
	FOREIGN KEY(unit) REFERENCES unit (code)
);
INSERT INTO "case_file" VALUES(1,'VV-2027-001','X03','xam_hai','2027-02-04 08:00:00.000000','2027-02-04 09:00:00.000000');
INSERT INTO "case_file" VALUES(2,'VV-2027-002','X01','bao_luc','2027-02-05 02:00:00.000000','2027-02-05 03:00:00.000000');
CREATE TABLE contact (
	id INTEGER NOT NULL, 
	unit VARCHAR NOT NULL, 
	role VARCHAR NOT NULL, 
	address VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (unit, role, address), 
	FOREIGN KEY(unit) REFERENCES unit (code)
);
INSERT INTO "contact" VALUES(1,'T01','leader','lanhdao@tinhmau.example');
INSERT INTO "contact" VALUES(2,'T01','supervisor','phongtreem.soyte@tinhmau.example');
INSERT INTO "contact" VALUES(3,'H01','leader','chutich@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(4,'H01','supervisor','laodong@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(5,'CA-H01','officer','canbo.congan@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(6,'CA-H01','leader','truongphong.congan@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(7,'YT-H01','officer','canbo.yte@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(8,'YT-H01','leader','truongphong.yte@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(9,'GD-H01','officer','canbo.gddt@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(10,'GD-H01','leader','truongphong.gddt@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(11,'TP-H01','officer','canbo.tuphap@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(12,'TP-H01','leader','truongphong.tuphap@huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(13,'X01','officer','treem@anbinh.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(14,'X01','leader','chutich@anbinh.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(15,'X02','officer','treem@binhminh.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(16,'X02','leader','chutich@binhminh.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(17,'X03','officer','treem@camlo.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(18,'X03','leader','chutich@camlo.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(19,'X04','officer','treem@dongtien.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(20,'X04','leader','chutich@dongtien.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(21,'X05','officer','treem@haiphong.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(22,'X05','leader','chutich@haiphong.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(23,'X06','officer','treem@hoaan.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(24,'X06','leader','chutich@hoaan.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(25,'X07','officer','treem@lamson.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(26,'X07','leader','chutich@lamson.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(27,'X08','officer','treem@minhkhai.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(28,'X08','leader','chutich@minhkhai.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(29,'X09','officer','treem@namhong.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(30,'X09','leader','chutich@namhong.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(31,'X10','officer','treem@phuctho.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(32,'X10','leader','chutich@phuctho.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(33,'X11','officer','treem@quangtrung.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(34,'X11','leader','chutich@quangtrung.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(35,'X12','officer','treem@thitran.huyenmau.tinhmau.example');
INSERT INTO "contact" VALUES(36,'X12','leader','chutich@thitran.huyenmau.tinhmau.example');
CREATE TABLE message (
	id INTEGER NOT NULL, 
	"key" VARCHAR NOT NULL, 
	message_id VARCHAR NOT NULL, 
	template VARCHAR NOT NULL, 
	priority INTEGER NOT NULL, 
	unit VARCHAR, 
	concerned VARCHAR NOT NULL, 
	obligation_id INTEGER, 
	thread_ref VARCHAR, 
	recipient VARCHAR NOT NULL, 
	subject VARCHAR NOT NULL, 
	body_text VARCHAR NOT NULL, 
	body_html VARCHAR NOT NULL, 
	state VARCHAR NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at DATETIME NOT NULL, 
	lease_until DATETIME, 
	created_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	last_error VARCHAR, 
	PRIMARY KEY (id), 
	UNIQUE ("key"), 
	UNIQUE (message_id), 
	FOREIGN KEY(unit) REFERENCES unit (code), 
	FOREIGN KEY(obligation_id) REFERENCES obligation (id)
);
INSERT INTO "message" VALUES(1,'reminders:treem@camlo.huyenmau.tinhmau.example:1,2','<8493922e9294e011859326ceed02f3e7@huyenmau.tinhmau.example>','bundle',0,'X03','["H01", "X03"]',37,'<thread.df6fd59c7ef5903e9cdc0a34@huyenmau.tinhmau.example>','treem@camlo.huyenmau.tinhmau.example','[KHẨN] 2 báo cáo cần xử lý: VV-2027-001; VV-2027-001','Có 2 báo cáo cần xử lý:

* VV-2027-001 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã Cam Lộ (X03)
  Hạn: 11/02/2027 23:59
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozNywiciI6InRyZWVtQGNhbWxvLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.SXsxsr50xXgjjYthrKKn0oM9zwsptf21Z99wUeaj4zE

* VV-2027-001 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã Cam Lộ (X03)
  Hạn: 11/02/2027 23:59
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozNywiciI6InRyZWVtQGNhbWxvLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.SXsxsr50xXgjjYthrKKn0oM9zwsptf21Z99wUeaj4zE

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[KHẨN] 2 báo cáo cần xử lý: VV-2027-001; VV-2027-001</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Có <strong>2</strong> báo cáo cần xử lý:</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-001 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Cam Lộ (X03)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozNywiciI6InRyZWVtQGNhbWxvLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.SXsxsr50xXgjjYthrKKn0oM9zwsptf21Z99wUeaj4zE" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-001 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Cam Lộ (X03)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozNywiciI6InRyZWVtQGNhbWxvLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.SXsxsr50xXgjjYthrKKn0oM9zwsptf21Z99wUeaj4zE" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','sent',1,'2027-02-11 03:40:00.000000',NULL,'2027-02-11 03:40:00.000000','2027-02-11 03:40:00.000000',NULL);
INSERT INTO "message" VALUES(2,'reminders:chutich@camlo.huyenmau.tinhmau.example:1,2','<ec2bdf0bc6c5422e1e4f5674f4e169b1@huyenmau.tinhmau.example>','bundle',0,'X03','["H01", "X03"]',37,'<thread.df6fd59c7ef5903e9cdc0a34@huyenmau.tinhmau.example>','chutich@camlo.huyenmau.tinhmau.example','[KHẨN] 2 báo cáo cần xử lý: VV-2027-001; VV-2027-001','Có 2 báo cáo cần xử lý:

* VV-2027-001 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã Cam Lộ (X03)
  Hạn: 11/02/2027 23:59
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozNywiciI6ImNodXRpY2hAY2FtbG8uaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNDkwOTIwMH0.cmUKBjiaG3WEXaVC1aIr71y_hsFt4OKDLH7LbepNGw0

* VV-2027-001 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã Cam Lộ (X03)
  Hạn: 11/02/2027 23:59
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozNywiciI6ImNodXRpY2hAY2FtbG8uaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNDkwOTIwMH0.cmUKBjiaG3WEXaVC1aIr71y_hsFt4OKDLH7LbepNGw0

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[KHẨN] 2 báo cáo cần xử lý: VV-2027-001; VV-2027-001</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Có <strong>2</strong> báo cáo cần xử lý:</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-001 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Cam Lộ (X03)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozNywiciI6ImNodXRpY2hAY2FtbG8uaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNDkwOTIwMH0.cmUKBjiaG3WEXaVC1aIr71y_hsFt4OKDLH7LbepNGw0" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-001 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Cam Lộ (X03)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozNywiciI6ImNodXRpY2hAY2FtbG8uaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNDkwOTIwMH0.cmUKBjiaG3WEXaVC1aIr71y_hsFt4OKDLH7LbepNGw0" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','sent',1,'2027-02-11 03:40:00.000000',NULL,'2027-02-11 03:40:00.000000','2027-02-11 03:40:00.000000',NULL);
INSERT INTO "message" VALUES(3,'reminders:treem@anbinh.huyenmau.tinhmau.example:3,4','<ca22162d61d00b27d25c43043f7a8d79@huyenmau.tinhmau.example>','bundle',0,'X01','["H01", "X01"]',39,'<thread.221fbfbc107fe6316757ac61@huyenmau.tinhmau.example>','treem@anbinh.huyenmau.tinhmau.example','[KHẨN] 2 báo cáo cần xử lý: VV-2027-002; VV-2027-002','Có 2 báo cáo cần xử lý:

* VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã An Bình (X01)
  Hạn: 11/02/2027 23:59
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6InRyZWVtQGFuYmluaC5odXllbm1hdS50aW5obWF1LmV4YW1wbGUiLCJlIjoxODA0OTA5MjAwfQ.Dqqbk306ZFipPFUS51d73HXmSHXWSpYGRObrcIbdSas

* VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã An Bình (X01)
  Hạn: 11/02/2027 23:59
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6InRyZWVtQGFuYmluaC5odXllbm1hdS50aW5obWF1LmV4YW1wbGUiLCJlIjoxODA0OTA5MjAwfQ.Dqqbk306ZFipPFUS51d73HXmSHXWSpYGRObrcIbdSas

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[KHẨN] 2 báo cáo cần xử lý: VV-2027-002; VV-2027-002</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Có <strong>2</strong> báo cáo cần xử lý:</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã An Bình (X01)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6InRyZWVtQGFuYmluaC5odXllbm1hdS50aW5obWF1LmV4YW1wbGUiLCJlIjoxODA0OTA5MjAwfQ.Dqqbk306ZFipPFUS51d73HXmSHXWSpYGRObrcIbdSas" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã An Bình (X01)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6InRyZWVtQGFuYmluaC5odXllbm1hdS50aW5obWF1LmV4YW1wbGUiLCJlIjoxODA0OTA5MjAwfQ.Dqqbk306ZFipPFUS51d73HXmSHXWSpYGRObrcIbdSas" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','sent',1,'2027-02-11 03:40:00.000000',NULL,'2027-02-11 03:40:00.000000','2027-02-11 03:40:00.000000',NULL);
INSERT INTO "message" VALUES(4,'reminders:chutich@anbinh.huyenmau.tinhmau.example:3,4','<36daf9e992884cb96ce4128c2d555f76@huyenmau.tinhmau.example>','bundle',0,'X01','["H01", "X01"]',39,'<thread.221fbfbc107fe6316757ac61@huyenmau.tinhmau.example>','chutich@anbinh.huyenmau.tinhmau.example','[KHẨN] 2 báo cáo cần xử lý: VV-2027-002; VV-2027-002','Có 2 báo cáo cần xử lý:

* VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã An Bình (X01)
  Hạn: 11/02/2027 23:59
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6ImNodXRpY2hAYW5iaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.1egKV602jRCCGOGbzEBjL46ICQOB-z_f3KILzUereAM

* VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã An Bình (X01)
  Hạn: 11/02/2027 23:59
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6ImNodXRpY2hAYW5iaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.1egKV602jRCCGOGbzEBjL46ICQOB-z_f3KILzUereAM

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[KHẨN] 2 báo cáo cần xử lý: VV-2027-002; VV-2027-002</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Có <strong>2</strong> báo cáo cần xử lý:</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã An Bình (X01)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6ImNodXRpY2hAYW5iaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.1egKV602jRCCGOGbzEBjL46ICQOB-z_f3KILzUereAM" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã An Bình (X01)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6ImNodXRpY2hAYW5iaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.1egKV602jRCCGOGbzEBjL46ICQOB-z_f3KILzUereAM" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','sent',1,'2027-02-11 03:40:00.000000',NULL,'2027-02-11 03:40:00.000000','2027-02-11 03:40:00.000000',NULL);
INSERT INTO "message" VALUES(5,'reminders:treem@binhminh.huyenmau.tinhmau.example:5','<2cd82b735c90c67e4bff384e6dd0be53@huyenmau.tinhmau.example>','reminder',3,'X02','["H01", "X02"]',41,'<thread.f57840ebc1940c0693d52b17@huyenmau.tinhmau.example>','treem@binhminh.huyenmau.tinhmau.example','[NHẮC HẠN] Báo cáo đột xuất theo yêu cầu 123/UBND-LĐTBXH - hạn 26/02/2027 17:00','Nhắc hạn: báo cáo dưới đây sắp đến hạn. Đề nghị chuẩn bị và gửi đúng hạn.

* Báo cáo đột xuất theo yêu cầu 123/UBND-LĐTBXH
  Đơn vị phải báo cáo: UBND xã Bình Minh (X02)
  Hạn: 26/02/2027 17:00
  Gửi tới: UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cơ quan yêu cầu: UBND huyện
  Cách gửi: Gửi trước qua thư điện tử công vụ theo yêu cầu của cơ quan có thẩm quyền.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjo0MSwiciI6InRyZWVtQGJpbmhtaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.NB3liy3Gen43QPlgNzdXR0_FxcpCSBg1ZpHay3JRW-o

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[NHẮC HẠN] Báo cáo đột xuất theo yêu cầu 123/UBND-LĐTBXH - hạn 26/02/2027 17:00</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Nhắc hạn: báo cáo dưới đây sắp đến hạn. Đề nghị chuẩn bị và gửi đúng hạn.</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>Báo cáo đột xuất theo yêu cầu 123/UBND-LĐTBXH</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Bình Minh (X02)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>26/02/2027 17:00</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cơ quan yêu cầu</td><td style="padding: 2px 8px;">UBND huyện</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua thư điện tử công vụ theo yêu cầu của cơ quan có thẩm quyền.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjo0MSwiciI6InRyZWVtQGJpbmhtaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDQ5MDkyMDB9.NB3liy3Gen43QPlgNzdXR0_FxcpCSBg1ZpHay3JRW-o" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','sent',1,'2027-02-11 03:40:00.000000',NULL,'2027-02-11 03:40:00.000000','2027-02-11 03:40:00.000000',NULL);
INSERT INTO "message" VALUES(6,'reminders:chutich@binhminh.huyenmau.tinhmau.example:5','<3e327bb5f98ab5fe8c5b30487ff9a983@huyenmau.tinhmau.example>','reminder',3,'X02','["H01", "X02"]',41,'<thread.f57840ebc1940c0693d52b17@huyenmau.tinhmau.example>','chutich@binhminh.huyenmau.tinhmau.example','[NHẮC HẠN] Báo cáo đột xuất theo yêu cầu 123/UBND-LĐTBXH - hạn 26/02/2027 17:00','Nhắc hạn: báo cáo dưới đây sắp đến hạn. Đề nghị chuẩn bị và gửi đúng hạn.

* Báo cáo đột xuất theo yêu cầu 123/UBND-LĐTBXH
  Đơn vị phải báo cáo: UBND xã Bình Minh (X02)
  Hạn: 26/02/2027 17:00
  Gửi tới: UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cơ quan yêu cầu: UBND huyện
  Cách gửi: Gửi trước qua thư điện tử công vụ theo yêu cầu của cơ quan có thẩm quyền.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjo0MSwiciI6ImNodXRpY2hAYmluaG1pbmguaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNDkwOTIwMH0.gP5yXCn10jbIdTMsFBHa1iVDZqKL-ACkI0OXDjiYxd4

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[NHẮC HẠN] Báo cáo đột xuất theo yêu cầu 123/UBND-LĐTBXH - hạn 26/02/2027 17:00</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Nhắc hạn: báo cáo dưới đây sắp đến hạn. Đề nghị chuẩn bị và gửi đúng hạn.</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #1f6feb;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>Báo cáo đột xuất theo yêu cầu 123/UBND-LĐTBXH</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Bình Minh (X02)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>26/02/2027 17:00</strong></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cơ quan yêu cầu</td><td style="padding: 2px 8px;">UBND huyện</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua thư điện tử công vụ theo yêu cầu của cơ quan có thẩm quyền.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjo0MSwiciI6ImNodXRpY2hAYmluaG1pbmguaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNDkwOTIwMH0.gP5yXCn10jbIdTMsFBHa1iVDZqKL-ACkI0OXDjiYxd4" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 11/02/2027 10:40.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','sent',1,'2027-02-11 03:40:00.000000',NULL,'2027-02-11 03:40:00.000000','2027-02-11 03:40:00.000000',NULL);
INSERT INTO "message" VALUES(7,'reminders:chutich@huyenmau.tinhmau.example:7','<f71cad98df47f73f877fcbd6920791cd@huyenmau.tinhmau.example>','escalation',1,'X01','["H01", "X01"]',39,'<thread.221fbfbc107fe6316757ac61@huyenmau.tinhmau.example>','chutich@huyenmau.tinhmau.example','[QUÁ HẠN] VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em - hạn 11/02/2027 23:59','Kính gửi lãnh đạo: đơn vị dưới đây chưa gửi báo cáo và ĐÃ QUÁ HẠN. Đề nghị chỉ đạo đơn vị gửi ngay.

* VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã An Bình (X01)
  Hạn: 11/02/2027 23:59 - ĐÃ QUÁ HẠN 7 ngày
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6ImNodXRpY2hAaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNTUwODYwMH0.Hg_rpgt960Z2-DMyYdxoDfMRnp_lUdRzR_n5VFFnjo4

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[QUÁ HẠN] VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em - hạn 11/02/2027 23:59</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Kính gửi lãnh đạo: đơn vị dưới đây chưa gửi báo cáo và <strong style="color: #b00020;">đã quá hạn</strong>. Đề nghị chỉ đạo đơn vị gửi ngay.</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #b00020;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã An Bình (X01)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong> <span style="color: #b00020;">- ĐÃ QUÁ HẠN 7 ngày</span></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6ImNodXRpY2hAaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNTUwODYwMH0.Hg_rpgt960Z2-DMyYdxoDfMRnp_lUdRzR_n5VFFnjo4" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','pending',1,'2027-02-18 02:10:26.248332',NULL,'2027-02-18 02:10:00.000000',NULL,'không kết nối được máy chủ thư 127.0.0.1:39499 / cannot connect: Error connecting to 127.0.0.1 on port 39499: [Errno 111] Connect call failed (''127.0.0.1'', 39499)');
INSERT INTO "message" VALUES(8,'reminders:treem@anbinh.huyenmau.tinhmau.example:8,14','<5e88bdf2986047cff11c33c879f18006@huyenmau.tinhmau.example>','bundle',1,'X01','["H01", "X01"]',NULL,NULL,'treem@anbinh.huyenmau.tinhmau.example','[QUÁ HẠN] 2 báo cáo cần xử lý: VV-2027-002; VV-2027-002','Có 2 báo cáo cần xử lý:

* VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã An Bình (X01)
  Hạn: 11/02/2027 23:59 - ĐÃ QUÁ HẠN 7 ngày
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6InRyZWVtQGFuYmluaC5odXllbm1hdS50aW5obWF1LmV4YW1wbGUiLCJlIjoxODA1NTA4NjAwfQ.YPRSxBXlnuOnnaqeUfj6yaX_uFQe0gJ1dYKnG1c6rOM

* VV-2027-002 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)
  Đơn vị phải báo cáo: UBND xã An Bình (X01)
  Hạn: 17/02/2027 23:59 - ĐÃ QUÁ HẠN 1 ngày
  Gửi tới: UBND xã An Bình - lãnh đạo <chutich@anbinh.huyenmau.tinhmau.example>
  Cách gửi: Người làm công tác bảo vệ trẻ em cấp xã xây dựng kế hoạch, trình Chủ tịch UBND xã phê duyệt.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjo0MCwiciI6InRyZWVtQGFuYmluaC5odXllbm1hdS50aW5obWF1LmV4YW1wbGUiLCJlIjoxODA1NTA4NjAwfQ.XvKnK9rHtjqTD1rmCPFx3EcDTBPbcdH8npr-zlIr4MU

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[QUÁ HẠN] 2 báo cáo cần xử lý: VV-2027-002; VV-2027-002</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Có <strong>2</strong> báo cáo cần xử lý:</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #b00020;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã An Bình (X01)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong> <span style="color: #b00020;">- ĐÃ QUÁ HẠN 7 ngày</span></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6InRyZWVtQGFuYmluaC5odXllbm1hdS50aW5obWF1LmV4YW1wbGUiLCJlIjoxODA1NTA4NjAwfQ.YPRSxBXlnuOnnaqeUfj6yaX_uFQe0gJ1dYKnG1c6rOM" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #b00020;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-002 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã An Bình (X01)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>17/02/2027 23:59</strong> <span style="color: #b00020;">- ĐÃ QUÁ HẠN 1 ngày</span></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND xã An Bình - lãnh đạo &lt;chutich@anbinh.huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Người làm công tác bảo vệ trẻ em cấp xã xây dựng kế hoạch, trình Chủ tịch UBND xã phê duyệt.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjo0MCwiciI6InRyZWVtQGFuYmluaC5odXllbm1hdS50aW5obWF1LmV4YW1wbGUiLCJlIjoxODA1NTA4NjAwfQ.XvKnK9rHtjqTD1rmCPFx3EcDTBPbcdH8npr-zlIr4MU" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','pending',1,'2027-02-18 02:10:23.061272',NULL,'2027-02-18 02:10:00.000000',NULL,'không kết nối được máy chủ thư 127.0.0.1:39499 / cannot connect: Error connecting to 127.0.0.1 on port 39499: [Errno 111] Connect call failed (''127.0.0.1'', 39499)');
INSERT INTO "message" VALUES(9,'reminders:chutich@anbinh.huyenmau.tinhmau.example:8,14','<4e8082d2e3acfd22082076053688ba26@huyenmau.tinhmau.example>','bundle',1,'X01','["H01", "X01"]',NULL,NULL,'chutich@anbinh.huyenmau.tinhmau.example','[QUÁ HẠN] 2 báo cáo cần xử lý: VV-2027-002; VV-2027-002','Có 2 báo cáo cần xử lý:

* VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Đơn vị phải báo cáo: UBND xã An Bình (X01)
  Hạn: 11/02/2027 23:59 - ĐÃ QUÁ HẠN 7 ngày
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6ImNodXRpY2hAYW5iaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDU1MDg2MDB9.uNRj54o4En3a-KpPV1Uf_KNKbZOBUqcVhgYTln3inQM

* VV-2027-002 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)
  Đơn vị phải báo cáo: UBND xã An Bình (X01)
  Hạn: 17/02/2027 23:59 - ĐÃ QUÁ HẠN 1 ngày
  Gửi tới: UBND xã An Bình - lãnh đạo <chutich@anbinh.huyenmau.tinhmau.example>
  Cách gửi: Người làm công tác bảo vệ trẻ em cấp xã xây dựng kế hoạch, trình Chủ tịch UBND xã phê duyệt.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjo0MCwiciI6ImNodXRpY2hAYW5iaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDU1MDg2MDB9.9kUysF262iv8o8yzE2NdRkIwmxmEx4hH8oej01xZVDA

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[QUÁ HẠN] 2 báo cáo cần xử lý: VV-2027-002; VV-2027-002</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Có <strong>2</strong> báo cáo cần xử lý:</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #b00020;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã An Bình (X01)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>11/02/2027 23:59</strong> <span style="color: #b00020;">- ĐÃ QUÁ HẠN 7 ngày</span></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi trước qua hệ thống thư điện tử công vụ; sau đó gửi báo cáo bằng văn bản trong 02 ngày làm việc.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozOSwiciI6ImNodXRpY2hAYW5iaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDU1MDg2MDB9.uNRj54o4En3a-KpPV1Uf_KNKbZOBUqcVhgYTln3inQM" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #b00020;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-002 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã An Bình (X01)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>17/02/2027 23:59</strong> <span style="color: #b00020;">- ĐÃ QUÁ HẠN 1 ngày</span></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND xã An Bình - lãnh đạo &lt;chutich@anbinh.huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Người làm công tác bảo vệ trẻ em cấp xã xây dựng kế hoạch, trình Chủ tịch UBND xã phê duyệt.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjo0MCwiciI6ImNodXRpY2hAYW5iaW5oLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDU1MDg2MDB9.9kUysF262iv8o8yzE2NdRkIwmxmEx4hH8oej01xZVDA" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','pending',1,'2027-02-18 02:10:16.568270',NULL,'2027-02-18 02:10:00.000000',NULL,'không kết nối được máy chủ thư 127.0.0.1:39499 / cannot connect: Error connecting to 127.0.0.1 on port 39499: [Errno 111] Connect call failed (''127.0.0.1'', 39499)');
INSERT INTO "message" VALUES(10,'reminders:treem@camlo.huyenmau.tinhmau.example:18,11','<178c884e58d53d77e102c71b8084cb1f@huyenmau.tinhmau.example>','bundle',1,'X03','["H01", "X03"]',NULL,NULL,'treem@camlo.huyenmau.tinhmau.example','[QUÁ HẠN] 2 báo cáo cần xử lý: VV-2027-001; VV-2027-001','Có 2 báo cáo cần xử lý:

* VV-2027-001 - Báo cáo bằng văn bản (có chữ ký, đóng dấu "Mật")
  Đơn vị phải báo cáo: UBND xã Cam Lộ (X03)
  Hạn: 15/02/2027 23:59 - ĐÃ QUÁ HẠN 3 ngày
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi văn bản có chữ ký, đóng dấu "Mật" sau báo cáo qua thư điện tử.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjo0MiwiciI6InRyZWVtQGNhbWxvLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDU1MDg2MDB9.JktWUuyGd05t8IR4bdgl-X7glW8iWHvX7MoFgUIlpoU

* VV-2027-001 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)
  Đơn vị phải báo cáo: UBND xã Cam Lộ (X03)
  Hạn: 17/02/2027 23:59 - ĐÃ QUÁ HẠN 1 ngày
  Gửi tới: UBND xã Cam Lộ - lãnh đạo <chutich@camlo.huyenmau.tinhmau.example>
  Cách gửi: Người làm công tác bảo vệ trẻ em cấp xã xây dựng kế hoạch, trình Chủ tịch UBND xã phê duyệt.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozOCwiciI6InRyZWVtQGNhbWxvLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDU1MDg2MDB9.sf2jGKeqbjl9y-7JAQLm8jPmt5y1jZIxovU0iZGRpyE

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[QUÁ HẠN] 2 báo cáo cần xử lý: VV-2027-001; VV-2027-001</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Có <strong>2</strong> báo cáo cần xử lý:</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #b00020;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-001 - Báo cáo bằng văn bản (có chữ ký, đóng dấu &#34;Mật&#34;)</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Cam Lộ (X03)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>15/02/2027 23:59</strong> <span style="color: #b00020;">- ĐÃ QUÁ HẠN 3 ngày</span></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi văn bản có chữ ký, đóng dấu &#34;Mật&#34; sau báo cáo qua thư điện tử.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjo0MiwiciI6InRyZWVtQGNhbWxvLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDU1MDg2MDB9.JktWUuyGd05t8IR4bdgl-X7glW8iWHvX7MoFgUIlpoU" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #b00020;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-001 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Cam Lộ (X03)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>17/02/2027 23:59</strong> <span style="color: #b00020;">- ĐÃ QUÁ HẠN 1 ngày</span></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND xã Cam Lộ - lãnh đạo &lt;chutich@camlo.huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Người làm công tác bảo vệ trẻ em cấp xã xây dựng kế hoạch, trình Chủ tịch UBND xã phê duyệt.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozOCwiciI6InRyZWVtQGNhbWxvLmh1eWVubWF1LnRpbmhtYXUuZXhhbXBsZSIsImUiOjE4MDU1MDg2MDB9.sf2jGKeqbjl9y-7JAQLm8jPmt5y1jZIxovU0iZGRpyE" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','pending',1,'2027-02-18 02:10:21.247811',NULL,'2027-02-18 02:10:00.000000',NULL,'không kết nối được máy chủ thư 127.0.0.1:39499 / cannot connect: Error connecting to 127.0.0.1 on port 39499: [Errno 111] Connect call failed (''127.0.0.1'', 39499)');
INSERT INTO "message" VALUES(11,'reminders:chutich@camlo.huyenmau.tinhmau.example:18,11','<bb037f96e525c09ec307300d4d01c735@huyenmau.tinhmau.example>','bundle',1,'X03','["H01", "X03"]',NULL,NULL,'chutich@camlo.huyenmau.tinhmau.example','[QUÁ HẠN] 2 báo cáo cần xử lý: VV-2027-001; VV-2027-001','Có 2 báo cáo cần xử lý:

* VV-2027-001 - Báo cáo bằng văn bản (có chữ ký, đóng dấu "Mật")
  Đơn vị phải báo cáo: UBND xã Cam Lộ (X03)
  Hạn: 15/02/2027 23:59 - ĐÃ QUÁ HẠN 3 ngày
  Gửi tới: UBND huyện Mẫu Sơn - lãnh đạo <chutich@huyenmau.tinhmau.example>, UBND huyện Mẫu Sơn - bộ phận theo dõi <laodong@huyenmau.tinhmau.example>
  Cách gửi: Gửi văn bản có chữ ký, đóng dấu "Mật" sau báo cáo qua thư điện tử.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjo0MiwiciI6ImNodXRpY2hAY2FtbG8uaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNTUwODYwMH0.G8ESrowbFYtmQjrF7CDmB2CLxUxQAiFidFJeVVKQe2Y

* VV-2027-001 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)
  Đơn vị phải báo cáo: UBND xã Cam Lộ (X03)
  Hạn: 17/02/2027 23:59 - ĐÃ QUÁ HẠN 1 ngày
  Gửi tới: UBND xã Cam Lộ - lãnh đạo <chutich@camlo.huyenmau.tinhmau.example>
  Cách gửi: Người làm công tác bảo vệ trẻ em cấp xã xây dựng kế hoạch, trình Chủ tịch UBND xã phê duyệt.
  Đã gửi báo cáo? Bấm để xác nhận: http://127.0.0.1:9464/ack/eyJvIjozOCwiciI6ImNodXRpY2hAY2FtbG8uaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNTUwODYwMH0.04qxzEzSffIDCAdovWQgn9NTUiqqVMc7KUZ7ktNCd8w

--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[QUÁ HẠN] 2 báo cáo cần xử lý: VV-2027-001; VV-2027-001</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p>Có <strong>2</strong> báo cáo cần xử lý:</p>
<table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #b00020;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-001 - Báo cáo bằng văn bản (có chữ ký, đóng dấu &#34;Mật&#34;)</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Cam Lộ (X03)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>15/02/2027 23:59</strong> <span style="color: #b00020;">- ĐÃ QUÁ HẠN 3 ngày</span></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND huyện Mẫu Sơn - lãnh đạo &lt;chutich@huyenmau.tinhmau.example&gt;, UBND huyện Mẫu Sơn - bộ phận theo dõi &lt;laodong@huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Gửi văn bản có chữ ký, đóng dấu &#34;Mật&#34; sau báo cáo qua thư điện tử.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjo0MiwiciI6ImNodXRpY2hAY2FtbG8uaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNTUwODYwMH0.G8ESrowbFYtmQjrF7CDmB2CLxUxQAiFidFJeVVKQe2Y" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><table style="border-collapse: collapse; margin: 8px 0; border-left: 4px solid #b00020;">
<tr><td colspan="2" style="padding: 4px 8px;"><strong>VV-2027-001 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)</strong></td></tr>
<tr><td style="padding: 2px 8px;">Đơn vị phải báo cáo</td><td style="padding: 2px 8px;">UBND xã Cam Lộ (X03)</td></tr>
<tr><td style="padding: 2px 8px;">Hạn</td><td style="padding: 2px 8px;"><strong>17/02/2027 23:59</strong> <span style="color: #b00020;">- ĐÃ QUÁ HẠN 1 ngày</span></td></tr>
<tr><td style="padding: 2px 8px;">Gửi tới</td><td style="padding: 2px 8px;">UBND xã Cam Lộ - lãnh đạo &lt;chutich@camlo.huyenmau.tinhmau.example&gt;</td></tr>
<tr><td style="padding: 2px 8px;">Cách gửi</td><td style="padding: 2px 8px;">Người làm công tác bảo vệ trẻ em cấp xã xây dựng kế hoạch, trình Chủ tịch UBND xã phê duyệt.</td></tr>
<tr><td colspan="2" style="padding: 6px 8px;"><a href="http://127.0.0.1:9464/ack/eyJvIjozOCwiciI6ImNodXRpY2hAY2FtbG8uaHV5ZW5tYXUudGluaG1hdS5leGFtcGxlIiwiZSI6MTgwNTUwODYwMH0.04qxzEzSffIDCAdovWQgn9NTUiqqVMc7KUZ7ktNCd8w" style="background: #0b4f8a; color: #fff; padding: 6px 12px; border-radius: 4px; text-decoration: none;">Đã gửi báo cáo</a></td></tr>
</table><p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','pending',1,'2027-02-18 02:10:27.092122',NULL,'2027-02-18 02:10:00.000000',NULL,'không kết nối được máy chủ thư 127.0.0.1:39499 / cannot connect: Error connecting to 127.0.0.1 on port 39499: [Errno 111] Connect call failed (''127.0.0.1'', 39499)');
INSERT INTO "message" VALUES(12,'digest:H01:2027-02-18:laodong@huyenmau.tinhmau.example','<7156388b63ab054c958cd6e3aa2dacd3@huyenmau.tinhmau.example>','digest',2,'H01','["H01"]',NULL,NULL,'laodong@huyenmau.tinhmau.example','[QUÁ HẠN] UBND huyện Mẫu Sơn: 4 báo cáo quá hạn ngày 18/02/2027','TỔNG HỢP ĐƠN VỊ CHẬM BÁO CÁO - UBND huyện Mẫu Sơn, lúc 18/02/2027 09:10.
Các báo cáo dưới đây đã quá hạn và chưa được ghi nhận:

* UBND xã An Bình (X01): VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em
  Hạn: 11/02/2027 23:59 - quá hạn 7 ngày - đã nhắc 2 lần* UBND xã An Bình (X01): VV-2027-002 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)
  Hạn: 17/02/2027 23:59 - quá hạn 1 ngày - đã nhắc 0 lần* UBND xã Cam Lộ (X03): VV-2027-001 - Báo cáo bằng văn bản (có chữ ký, đóng dấu "Mật")
  Hạn: 15/02/2027 23:59 - quá hạn 3 ngày - đã nhắc 0 lần* UBND xã Cam Lộ (X03): VV-2027-001 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)
  Hạn: 17/02/2027 23:59 - quá hạn 1 ngày - đã nhắc 0 lần
--
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.','<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>[QUÁ HẠN] UBND huyện Mẫu Sơn: 4 báo cáo quá hạn ngày 18/02/2027</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1a1a1a;">
<p><strong>Tổng hợp đơn vị chậm báo cáo - UBND huyện Mẫu Sơn</strong>, lúc 18/02/2027 09:10.</p>
<p>Các báo cáo dưới đây đã quá hạn và chưa được ghi nhận:</p>
<table style="border-collapse: collapse;" border="1" cellpadding="4">
<tr><th>Đơn vị</th><th>Báo cáo</th><th>Hạn</th><th>Số ngày quá hạn</th><th>Số lần đã nhắc</th></tr>
<tr><td>UBND xã An Bình (X01)</td><td>VV-2027-002 - Báo cáo nhanh (khẩn) vụ việc xâm hại trẻ em</td><td>11/02/2027 23:59</td><td>7</td><td>2</td></tr>
<tr><td>UBND xã An Bình (X01)</td><td>VV-2027-002 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)</td><td>17/02/2027 23:59</td><td>1</td><td>0</td></tr>
<tr><td>UBND xã Cam Lộ (X03)</td><td>VV-2027-001 - Báo cáo bằng văn bản (có chữ ký, đóng dấu &#34;Mật&#34;)</td><td>15/02/2027 23:59</td><td>3</td><td>0</td></tr>
<tr><td>UBND xã Cam Lộ (X03)</td><td>VV-2027-001 - Kế hoạch hỗ trợ, can thiệp (Nghị định 56/2017, Điều 28.1)</td><td>17/02/2027 23:59</td><td>1</td><td>0</td></tr>
</table>
<p style="color: #666; font-size: 12px; border-top: 1px solid #ccc; padding-top: 8px;">
Thư tự động của hệ thống nhắc hạn báo cáo (hanbao), gửi lúc 18/02/2027 09:10.<br>
Nội dung thuộc chế độ "Mật": không chuyển tiếp ngoài các cơ quan có thẩm quyền.<br>
Khi đã gửi báo cáo, đề nghị ghi nhận trên hệ thống để dừng nhắc.
</p>
</body>
</html>','pending',1,'2027-02-18 02:10:22.547524',NULL,'2027-02-18 02:10:00.000000',NULL,'không kết nối được máy chủ thư 127.0.0.1:39499 / cannot connect: Error connecting to 127.0.0.1 on port 39499: [Errno 111] Connect call failed (''127.0.0.1'', 39499)');
CREATE TABLE message_item (
	message_id INTEGER NOT NULL, 
	reminder_id INTEGER NOT NULL, 
	obligation_id INTEGER NOT NULL, 
	PRIMARY KEY (message_id, reminder_id), 
	FOREIGN KEY(message_id) REFERENCES message (id), 
	FOREIGN KEY(reminder_id) REFERENCES reminder (id), 
	FOREIGN KEY(obligation_id) REFERENCES obligation (id)
);
INSERT INTO "message_item" VALUES(1,1,37);
INSERT INTO "message_item" VALUES(1,2,37);
INSERT INTO "message_item" VALUES(2,1,37);
INSERT INTO "message_item" VALUES(2,2,37);
INSERT INTO "message_item" VALUES(3,3,39);
INSERT INTO "message_item" VALUES(3,4,39);
INSERT INTO "message_item" VALUES(4,3,39);
INSERT INTO "message_item" VALUES(4,4,39);
INSERT INTO "message_item" VALUES(5,5,41);
INSERT INTO "message_item" VALUES(6,5,41);
INSERT INTO "message_item" VALUES(7,7,39);
INSERT INTO "message_item" VALUES(8,8,39);
INSERT INTO "message_item" VALUES(8,14,40);
INSERT INTO "message_item" VALUES(9,8,39);
INSERT INTO "message_item" VALUES(9,14,40);
INSERT INTO "message_item" VALUES(10,11,38);
INSERT INTO "message_item" VALUES(10,18,42);
INSERT INTO "message_item" VALUES(11,11,38);
INSERT INTO "message_item" VALUES(11,18,42);
CREATE TABLE meta (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "meta" VALUES('schema_version','1');
CREATE TABLE obligation (
	id INTEGER NOT NULL, 
	"key" VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	unit VARCHAR NOT NULL, 
	case_id INTEGER, 
	period VARCHAR, 
	requested_by VARCHAR, 
	event_at DATETIME NOT NULL, 
	due_at DATETIME NOT NULL, 
	created_at DATETIME NOT NULL, 
	submitted_at DATETIME, 
	next_action_at DATETIME, 
	hold_until DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE ("key"), 
	FOREIGN KEY(unit) REFERENCES unit (code), 
	FOREIGN KEY(case_id) REFERENCES case_file (id)
);
INSERT INTO "obligation" VALUES(1,'periodic:six_monthly:2027-H1:CA-H01','six_monthly','CA-H01',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(2,'periodic:six_monthly:2027-H1:GD-H01','six_monthly','GD-H01',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(3,'periodic:six_monthly:2027-H1:TP-H01','six_monthly','TP-H01',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(4,'periodic:six_monthly:2027-H1:X01','six_monthly','X01',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(5,'periodic:six_monthly:2027-H1:X02','six_monthly','X02',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(6,'periodic:six_monthly:2027-H1:X03','six_monthly','X03',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(7,'periodic:six_monthly:2027-H1:X04','six_monthly','X04',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(8,'periodic:six_monthly:2027-H1:X05','six_monthly','X05',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(9,'periodic:six_monthly:2027-H1:X06','six_monthly','X06',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(10,'periodic:six_monthly:2027-H1:X07','six_monthly','X07',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(11,'periodic:six_monthly:2027-H1:X08','six_monthly','X08',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(12,'periodic:six_monthly:2027-H1:X09','six_monthly','X09',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(13,'periodic:six_monthly:2027-H1:X10','six_monthly','X10',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(14,'periodic:six_monthly:2027-H1:X11','six_monthly','X11',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(15,'periodic:six_monthly:2027-H1:X12','six_monthly','X12',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(16,'periodic:six_monthly:2027-H1:YT-H01','six_monthly','YT-H01',NULL,'2027-H1',NULL,'2026-12-31 17:00:00.000000','2027-06-30 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-06-16 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(17,'periodic:annual:2027:CA-H01','annual','CA-H01',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(18,'periodic:annual:2027:GD-H01','annual','GD-H01',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(19,'periodic:annual:2027:TP-H01','annual','TP-H01',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(20,'periodic:annual:2027:X01','annual','X01',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(21,'periodic:annual:2027:X02','annual','X02',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(22,'periodic:annual:2027:X03','annual','X03',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(23,'periodic:annual:2027:X04','annual','X04',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(24,'periodic:annual:2027:X05','annual','X05',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(25,'periodic:annual:2027:X06','annual','X06',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(26,'periodic:annual:2027:X07','annual','X07',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(27,'periodic:annual:2027:X08','annual','X08',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(28,'periodic:annual:2027:X09','annual','X09',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(29,'periodic:annual:2027:X10','annual','X10',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(30,'periodic:annual:2027:X11','annual','X11',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(31,'periodic:annual:2027:X12','annual','X12',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(32,'periodic:annual:2027:YT-H01','annual','YT-H01',NULL,'2027',NULL,'2026-12-31 17:00:00.000000','2027-12-31 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-12-17 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(33,'periodic:sector_annual:2027-nganh:CA-H01','sector_annual','CA-H01',NULL,'2027-nganh',NULL,'2026-12-31 17:00:00.000000','2027-11-14 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-11-05 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(34,'periodic:sector_annual:2027-nganh:GD-H01','sector_annual','GD-H01',NULL,'2027-nganh',NULL,'2026-12-31 17:00:00.000000','2027-11-14 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-11-05 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(35,'periodic:sector_annual:2027-nganh:TP-H01','sector_annual','TP-H01',NULL,'2027-nganh',NULL,'2026-12-31 17:00:00.000000','2027-11-14 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-11-05 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(36,'periodic:sector_annual:2027-nganh:YT-H01','sector_annual','YT-H01',NULL,'2027-nganh',NULL,'2026-12-31 17:00:00.000000','2027-11-14 16:59:59.000000','2027-01-01 01:00:00.000000',NULL,'2027-11-05 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(37,'case:VV-2027-001:urgent_report','urgent_report','X03',1,NULL,NULL,'2027-02-04 08:00:00.000000','2027-02-11 16:59:59.000000','2027-02-04 09:00:00.000000','2027-02-11 02:00:00.000000',NULL,NULL);
INSERT INTO "obligation" VALUES(38,'case:VV-2027-001:support_plan','support_plan','X03',1,NULL,NULL,'2027-02-04 08:00:00.000000','2027-02-17 16:59:59.000000','2027-02-04 09:00:00.000000',NULL,'2027-02-22 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(39,'case:VV-2027-002:urgent_report','urgent_report','X01',2,NULL,NULL,'2027-02-05 02:00:00.000000','2027-02-11 16:59:59.000000','2027-02-05 03:00:00.000000',NULL,NULL,NULL);
INSERT INTO "obligation" VALUES(40,'case:VV-2027-002:support_plan','support_plan','X01',2,NULL,NULL,'2027-02-05 02:00:00.000000','2027-02-17 16:59:59.000000','2027-02-05 03:00:00.000000',NULL,'2027-02-22 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(41,'adhoc:X02:123/UBND-LĐTBXH','adhoc_report','X02',NULL,'123/UBND-LĐTBXH','UBND huyện','2027-02-10 02:00:00.000000','2027-02-26 10:00:00.000000','2027-02-10 02:00:00.000000',NULL,'2027-02-25 01:00:00.000000',NULL);
INSERT INTO "obligation" VALUES(42,'case:VV-2027-001:written_report','written_report','X03',1,NULL,NULL,'2027-02-11 02:00:00.000000','2027-02-15 16:59:59.000000','2027-02-11 03:00:00.000000',NULL,NULL,NULL);
CREATE TABLE reminder (
	id INTEGER NOT NULL, 
	obligation_id INTEGER NOT NULL, 
	step VARCHAR NOT NULL, 
	repeat INTEGER NOT NULL, 
	state VARCHAR NOT NULL, 
	late_flag BOOLEAN NOT NULL, 
	recipients VARCHAR NOT NULL, 
	scheduled_at DATETIME NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	composed_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (obligation_id, step, repeat), 
	FOREIGN KEY(obligation_id) REFERENCES obligation (id)
);
INSERT INTO "reminder" VALUES(1,37,'new_case',0,'due',0,'["treem@camlo.huyenmau.tinhmau.example", "chutich@camlo.huyenmau.tinhmau.example"]','2027-02-04 09:00:00.000000','2027-02-11 02:00:00.000000','2027-02-11 03:40:00.000000');
INSERT INTO "reminder" VALUES(2,37,'due_today',0,'due',0,'["treem@camlo.huyenmau.tinhmau.example", "chutich@camlo.huyenmau.tinhmau.example"]','2027-02-11 01:00:00.000000','2027-02-11 02:00:00.000000','2027-02-11 03:40:00.000000');
INSERT INTO "reminder" VALUES(3,39,'new_case',0,'due',0,'["treem@anbinh.huyenmau.tinhmau.example", "chutich@anbinh.huyenmau.tinhmau.example"]','2027-02-05 03:00:00.000000','2027-02-11 02:00:00.000000','2027-02-11 03:40:00.000000');
INSERT INTO "reminder" VALUES(4,39,'due_today',0,'due',0,'["treem@anbinh.huyenmau.tinhmau.example", "chutich@anbinh.huyenmau.tinhmau.example"]','2027-02-11 01:00:00.000000','2027-02-11 02:00:00.000000','2027-02-11 03:40:00.000000');
INSERT INTO "reminder" VALUES(5,41,'requested',0,'due',0,'["treem@binhminh.huyenmau.tinhmau.example", "chutich@binhminh.huyenmau.tinhmau.example"]','2027-02-10 02:00:00.000000','2027-02-11 02:00:00.000000','2027-02-11 03:40:00.000000');
INSERT INTO "reminder" VALUES(6,39,'late_flag',0,'due',1,'["laodong@huyenmau.tinhmau.example"]','2027-02-12 01:00:00.000000','2027-02-18 02:00:00.000000','2027-02-18 02:10:00.000000');
INSERT INTO "reminder" VALUES(7,39,'escalate_district',0,'due',0,'["chutich@huyenmau.tinhmau.example"]','2027-02-15 01:00:00.000000','2027-02-18 02:00:00.000000','2027-02-18 02:10:00.000000');
INSERT INTO "reminder" VALUES(8,39,'overdue',2,'due',0,'["treem@anbinh.huyenmau.tinhmau.example", "chutich@anbinh.huyenmau.tinhmau.example"]','2027-02-16 01:00:00.000000','2027-02-18 02:00:00.000000','2027-02-18 02:10:00.000000');
INSERT INTO "reminder" VALUES(9,39,'overdue',0,'skipped',0,'["treem@anbinh.huyenmau.tinhmau.example", "chutich@anbinh.huyenmau.tinhmau.example"]','2027-02-12 01:00:00.000000','2027-02-18 02:00:00.000000',NULL);
INSERT INTO "reminder" VALUES(10,39,'overdue',1,'skipped',0,'["treem@anbinh.huyenmau.tinhmau.example", "chutich@anbinh.huyenmau.tinhmau.example"]','2027-02-15 01:00:00.000000','2027-02-18 02:00:00.000000',NULL);
INSERT INTO "reminder" VALUES(11,38,'overdue',0,'due',0,'["treem@camlo.huyenmau.tinhmau.example", "chutich@camlo.huyenmau.tinhmau.example"]','2027-02-18 01:00:00.000000','2027-02-18 02:00:00.000000','2027-02-18 02:10:00.000000');
INSERT INTO "reminder" VALUES(12,38,'before',0,'skipped',0,'["treem@camlo.huyenmau.tinhmau.example"]','2027-02-15 01:00:00.000000','2027-02-18 02:00:00.000000',NULL);
INSERT INTO "reminder" VALUES(13,38,'due_today',0,'skipped',0,'["treem@camlo.huyenmau.tinhmau.example"]','2027-02-17 01:00:00.000000','2027-02-18 02:00:00.000000',NULL);
INSERT INTO "reminder" VALUES(14,40,'overdue',0,'due',0,'["treem@anbinh.huyenmau.tinhmau.example", "chutich@anbinh.huyenmau.tinhmau.example"]','2027-02-18 01:00:00.000000','2027-02-18 02:00:00.000000','2027-02-18 02:10:00.000000');
INSERT INTO "reminder" VALUES(15,40,'before',0,'skipped',0,'["treem@anbinh.huyenmau.tinhmau.example"]','2027-02-15 01:00:00.000000','2027-02-18 02:00:00.000000',NULL);
INSERT INTO "reminder" VALUES(16,40,'due_today',0,'skipped',0,'["treem@anbinh.huyenmau.tinhmau.example"]','2027-02-17 01:00:00.000000','2027-02-18 02:00:00.000000',NULL);
INSERT INTO "reminder" VALUES(17,42,'late_flag',0,'due',1,'["laodong@huyenmau.tinhmau.example"]','2027-02-16 01:00:00.000000','2027-02-18 02:00:00.000000','2027-02-18 02:10:00.000000');
INSERT INTO "reminder" VALUES(18,42,'overdue',2,'due',0,'["treem@camlo.huyenmau.tinhmau.example", "chutich@camlo.huyenmau.tinhmau.example"]','2027-02-18 01:00:00.000000','2027-02-18 02:00:00.000000','2027-02-18 02:10:00.000000');
INSERT INTO "reminder" VALUES(19,42,'due_today',0,'skipped',0,'["treem@camlo.huyenmau.tinhmau.example", "chutich@camlo.huyenmau.tinhmau.example"]','2027-02-15 01:00:00.000000','2027-02-18 02:00:00.000000',NULL);
INSERT INTO "reminder" VALUES(20,42,'overdue',0,'skipped',0,'["treem@camlo.huyenmau.tinhmau.example", "chutich@camlo.huyenmau.tinhmau.example"]','2027-02-16 01:00:00.000000','2027-02-18 02:00:00.000000',NULL);
INSERT INTO "reminder" VALUES(21,42,'overdue',1,'skipped',0,'["treem@camlo.huyenmau.tinhmau.example", "chutich@camlo.huyenmau.tinhmau.example"]','2027-02-17 01:00:00.000000','2027-02-18 02:00:00.000000',NULL);
CREATE TABLE unit (
	code VARCHAR NOT NULL, 
	name VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	parent VARCHAR, 
	email VARCHAR NOT NULL, 
	PRIMARY KEY (code), 
	FOREIGN KEY(parent) REFERENCES unit (code)
);
INSERT INTO "unit" VALUES('T01','UBND tỉnh Mẫu','province',NULL,'vanthu@tinhmau.example');
INSERT INTO "unit" VALUES('H01','UBND huyện Mẫu Sơn','district','T01','vanthu@huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('CA-H01','Công an huyện Mẫu Sơn','agency','H01','congan@huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('YT-H01','Phòng Y tế huyện Mẫu Sơn','agency','H01','yte@huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('GD-H01','Phòng Giáo dục và Đào tạo huyện Mẫu Sơn','agency','H01','gddt@huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('TP-H01','Phòng Tư pháp huyện Mẫu Sơn','agency','H01','tuphap@huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X01','UBND xã An Bình','commune','H01','ubnd@anbinh.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X02','UBND xã Bình Minh','commune','H01','ubnd@binhminh.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X03','UBND xã Cam Lộ','commune','H01','ubnd@camlo.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X04','UBND xã Đồng Tiến','commune','H01','ubnd@dongtien.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X05','UBND xã Hải Phong','commune','H01','ubnd@haiphong.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X06','UBND xã Hòa An','commune','H01','ubnd@hoaan.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X07','UBND xã Lam Sơn','commune','H01','ubnd@lamson.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X08','UBND xã Minh Khai','commune','H01','ubnd@minhkhai.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X09','UBND xã Nam Hồng','commune','H01','ubnd@namhong.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X10','UBND xã Phúc Thọ','commune','H01','ubnd@phuctho.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X11','UBND xã Quang Trung','commune','H01','ubnd@quangtrung.huyenmau.tinhmau.example');
INSERT INTO "unit" VALUES('X12','UBND thị trấn Mẫu Sơn','commune','H01','ubnd@thitran.huyenmau.tinhmau.example');
CREATE INDEX ix_unit_parent ON unit (parent);
CREATE INDEX ix_audit_obligation_id ON audit (obligation_id);
CREATE INDEX ix_audit_at ON audit (at);
CREATE INDEX ix_contact_unit ON contact (unit);
CREATE INDEX ix_case_file_unit ON case_file (unit);
CREATE INDEX ix_api_token_unit ON api_token (unit);
CREATE INDEX ix_obligation_open_due ON obligation (submitted_at, due_at);
CREATE INDEX ix_obligation_unit ON obligation (unit);
CREATE INDEX ix_obligation_next_action_at ON obligation (next_action_at);
CREATE INDEX ix_obligation_case_id ON obligation (case_id);
CREATE INDEX ix_obligation_kind ON obligation (kind);
CREATE INDEX ix_reminder_obligation_id ON reminder (obligation_id);
CREATE INDEX ix_reminder_composed_at ON reminder (composed_at);
CREATE INDEX ix_reminder_recorded_at ON reminder (recorded_at);
CREATE INDEX ix_message_obligation_id ON message (obligation_id);
CREATE INDEX ix_message_state ON message (state);
CREATE INDEX ix_message_unit ON message (unit);
CREATE INDEX ix_message_ready ON message (state, next_attempt_at);
CREATE INDEX ix_ack_link_obligation_id ON ack_link (obligation_id);
CREATE INDEX ix_message_item_obligation_id ON message_item (obligation_id);
COMMIT;
