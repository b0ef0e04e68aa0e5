# Secrets and database backups.
#
# The secrets are created empty: their values are put by the people who hold them
# (`aws secretsmanager put-secret-value`), so they never pass through Terraform or its state.

locals {
  secrets = {
    session-token-keys    = "Keys that sign and verify shoppers' session tokens (cores)"
    partner-keys          = "API and webhook signing keys of the payment provider, carriers and warehouse systems (cores)"
    edge-tls              = "Certificate chain and private key the edges serve TLS with (rustls)"
    database-node-certs   = "CockroachDB CA certificate and this region's node certificates"
    database-client-certs = "CockroachDB CA certificate and the cores' client certificate"
  }
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:No rotation function can make these values: partners issue their keys, the CA signs the certificates, and session token keys roll by adding a key beside the old one. Each is rotated by its runbook with put-secret-value.
  for_each = local.secrets

  name                    = "${var.name_prefix}/${var.name}/${each.key}"
  description             = each.value
  kms_key_id              = aws_kms_key.this["secrets"].arn
  recovery_window_in_days = 30

  tags = merge(local.tags, { Name = "${local.prefix}-${each.key}" })
}

# The backups bucket: CockroachDB's BACKUP of this region's locality writes here. Private,
# versioned, encrypted with the region's backups key, reachable over TLS only.
resource "aws_s3_bucket" "backups" {
  #checkov:skip=CKV_AWS_144:Replicating to another AWS region would take shoppers' personal data out of their region (data residency). Backups are versioned here, and the cluster keeps replicas in three zones.
  #checkov:skip=CKV_AWS_18:Only the database nodes' role reaches this bucket, and object-level access is audited by the account's CloudTrail S3 data events; server access logs would need a second bucket without KMS encryption.
  bucket        = "${local.prefix}-db-backups-${local.account_id}"
  force_destroy = false

  tags = merge(local.tags, { Name = "${local.prefix}-db-backups" })
}

resource "aws_s3_bucket_ownership_controls" "backups" {
  bucket = aws_s3_bucket.backups.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "backups" {
  bucket = aws_s3_bucket.backups.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "backups" {
  bucket = aws_s3_bucket.backups.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "backups" {
  bucket = aws_s3_bucket.backups.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this["backups"].arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "backups" {
  bucket = aws_s3_bucket.backups.id

  rule {
    id     = "expire-replaced-backups"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.backup_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.backups]
}

# Object events go to EventBridge, where the backup monitoring rules (outside this module)
# check that a backup lands every day.
resource "aws_s3_bucket_notification" "backups" {
  bucket      = aws_s3_bucket.backups.id
  eventbridge = true
}

# Requests without TLS, or over TLS older than 1.2, are refused whoever makes them.
locals {
  backups_bucket_denials = [
    { sid = "DenyWithoutTls", test = "Bool", variable = "aws:SecureTransport", values = ["false"] },
    { sid = "DenyOldTls", test = "NumericLessThan", variable = "s3:TlsVersion", values = ["1.2"] },
  ]
}

data "aws_iam_policy_document" "backups_bucket" {
  dynamic "statement" {
    for_each = local.backups_bucket_denials

    content {
      sid       = statement.value.sid
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = [aws_s3_bucket.backups.arn, "${aws_s3_bucket.backups.arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = statement.value.test
        variable = statement.value.variable
        values   = statement.value.values
      }
    }
  }
}

resource "aws_s3_bucket_policy" "backups" {
  bucket = aws_s3_bucket.backups.id
  policy = data.aws_iam_policy_document.backups_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.backups]
}
