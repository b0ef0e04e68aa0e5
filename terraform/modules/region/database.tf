# The region's CockroachDB nodes: nodes_per_zone in each of the three zones, each on a fixed
# address in its zone's database subnet and with its store on its own encrypted volume. The
# nodes of every region form one cluster: each starts with --locality=region=<this region's
# name>,zone=<its zone> and joins the nodes of every region (the cluster's regions and survival
# goal are set by the global module's SQL).
#
# Instances are not replaced when the image or boot script changes (ignore_changes): upgrade a
# node at a time, `terraform apply -replace='module.<region>.aws_instance.database["<key>"]'`,
# waiting for the cluster to report no under-replicated ranges between nodes. The store volume
# survives the replacement.

locals {
  database_nodes = merge([
    for zone in range(3) : {
      for n in range(var.database.nodes_per_zone) : "zone${zone + 1}-node${n + 1}" => {
        zone    = zone
        address = cidrhost(local.subnets.database[zone], 10 + n)
      }
    }
  ]...)

  database_addresses = [for key in sort(keys(local.database_nodes)) : "${local.database_nodes[key].address}:${local.database_port}"]

  # Every node of the platform: this region's, then the other regions'.
  database_join = concat(local.database_addresses, flatten([for p in var.peers : p.database_join]))

  database_localities = { for key, node in local.database_nodes : key => "region=${var.name},zone=${local.azs[node.zone]}" }

  database_environment = {
    for key, node in local.database_nodes : key => {
      SHOP_ROLE                  = "database"
      SHOP_REGION                = var.name
      COCKROACH_LOCALITY         = local.database_localities[key]
      COCKROACH_ADVERTISE_ADDR   = "${node.address}:${local.database_port}"
      COCKROACH_LISTEN_ADDR      = "${node.address}:${local.database_port}"
      COCKROACH_JOIN             = join(",", local.database_join)
      COCKROACH_STORE            = "/var/lib/cockroach/data"
      COCKROACH_CERTS_SECRET_ARN = aws_secretsmanager_secret.this["database-node-certs"].arn
      COCKROACH_BACKUPS_BUCKET   = aws_s3_bucket.backups.bucket
      SHOP_LOG_GROUP             = aws_cloudwatch_log_group.this["database"].name
    }
  }
}

resource "aws_ebs_volume" "database" {
  for_each = local.database_nodes

  availability_zone = local.azs[each.value.zone]
  type              = "gp3"
  size              = var.database.volume_size_gib
  iops              = var.database.volume_iops
  throughput        = var.database.volume_throughput
  encrypted         = true
  kms_key_id        = aws_kms_key.this["ebs"].arn

  tags = merge(local.tags, { Name = "${local.prefix}-database-${each.key}", Tier = "database" })
}

resource "aws_instance" "database" {
  for_each = local.database_nodes

  ami                         = data.aws_ami.platform.id
  instance_type               = var.database.instance_type
  subnet_id                   = aws_subnet.private["database-${each.value.zone}"].id
  private_ip                  = each.value.address
  vpc_security_group_ids      = [aws_security_group.this["database"].id]
  iam_instance_profile        = aws_iam_instance_profile.this["database"].name
  ebs_optimized               = true
  monitoring                  = true
  disable_api_termination     = var.deletion_protection
  associate_public_ip_address = false
  user_data_base64 = base64encode(templatefile("${path.module}/templates/boot.sh.tftpl", {
    role           = "database"
    environment    = local.database_environment[each.key]
    data_volume_id = aws_ebs_volume.database[each.key].id
  }))

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = 30
    encrypted             = true
    kms_key_id            = aws_kms_key.this["ebs"].arn
    delete_on_termination = true
    tags                  = merge(local.tags, { Name = "${local.prefix}-database-${each.key}-root", Tier = "database" })
  }

  tags = merge(local.tags, { Name = "${local.prefix}-database-${each.key}", Tier = "database" })

  lifecycle {
    ignore_changes = [ami, user_data_base64]
  }
}

resource "aws_volume_attachment" "database" {
  for_each = local.database_nodes

  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.database[each.key].id
  instance_id = aws_instance.database[each.key].id

  # A node being replaced stops first, so its store is never detached while in use.
  stop_instance_before_detaching = true
}
